// A parser for /proc/PID/net/snmp and /proc/PID/net/netstat that keeps only the fields a
// filter wants, for reading many namespaces: ParsePairedGroups builds every one of some
// 300 fields and the filter then asks about each, which cost three times the kernel's
// own work per namespace. Every namespace of a host prints the same header lines, so
// which columns of a header are wanted is decided once per distinct header line (found
// again by comparing the line, not hashing it); then a namespace costs a scan of the value
// lines of the groups with a wanted column and a number parse per wanted field, and
// allocates nothing. A wanted field is handed over as a small id, the same for the same
// Group_Name in every namespace, so that its publisher need not build names either.
// Pure: text in, values out.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "collectors/snmp/snmp_parser.h"

namespace netstat::snmp {

// A field the picker keeps, by its id (the index in FieldPicker::keys()).
struct PickedKey {
  std::string group;  // "Tcp"
  std::string name;   // "RetransSegs"
  std::string key;    // "Tcp_RetransSegs", what the filter was asked about
};

struct PickedValue {
  uint32_t id;
  double value;
};

class FieldPicker {
 public:
  // wanted("Tcp_RetransSegs"): whether that field is kept.
  explicit FieldPicker(std::function<bool(const std::string&)> wanted)
      : wanted_(std::move(wanted)) {}

  // Appends the wanted fields of `text` to *values, in the order of the text, and what is
  // wrong in them to *errors ("line N: ...", as ParsePairedGroups says it). Errors about
  // the rest (a bad name or value in a column nobody wants) are not reported. A group
  // whose names and values differ in number is dropped with an error, as there. Returns
  // whether some group of the text has a wanted field (whatever its value).
  bool Parse(std::string_view text, std::vector<PickedValue>* values,
             std::vector<std::string>* errors);
  // The same as ParsePairedGroups' result restricted to the wanted fields (for tests).
  ParseResult Parse(std::string_view text);

  // Every field kept so far; ids stay valid for the picker's life.
  const std::vector<PickedKey>& keys() const { return keys_; }

 private:
  struct Column {
    uint32_t index;  // word index in the header and value lines (0 is "Group:")
    uint32_t id;
  };
  struct Header {
    std::string line;             // trimmed, as the kernel prints it
    size_t tag_size;              // of "Group:", which starts it
    size_t words;                 // "Group:" and the names
    std::vector<Column> columns;  // the wanted ones, by index
  };
  // The known header that is the whole first line of `rest`, or nullptr.
  const Header* KnownAt(std::string_view rest) const;
  const Header& HeaderOf(std::string_view line);
  uint32_t IdOf(std::string_view group, std::string_view name);
  void PickValues(const Header& h, std::string_view values, size_t line,
                  std::vector<PickedValue>* out, std::vector<std::string>* errors);

  std::function<bool(const std::string&)> wanted_;
  // One per distinct header line, searched in order: a kernel prints nine groups in the
  // two files. Bounded all the same (kMaxHeaders in the .cc), against garbage.
  std::vector<Header> headers_;
  std::vector<PickedKey> keys_;
  std::unordered_map<std::string, uint32_t> ids_;  // key -> index in keys_
  std::vector<std::string_view> picked_;           // a value line's wanted words, reused
};

}  // namespace netstat::snmp
