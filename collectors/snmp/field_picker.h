// A parser for /proc/PID/net/snmp and /proc/PID/net/netstat that keeps only the fields a
// filter wants, for reading many namespaces: ParsePairedGroups builds every one of some
// 300 fields and the filter then asks about each, which cost three times the kernel's
// own work per namespace. Every namespace of a host prints the same header lines, so
// which columns of a header are wanted is decided once per distinct header line; then a
// namespace costs a hash of each header line and a number parse per wanted field. Pure:
// text in, fields out.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "collectors/snmp/snmp_parser.h"

namespace netstat::snmp {

class FieldPicker {
 public:
  // wanted("Tcp_RetransSegs"): whether that field is kept.
  explicit FieldPicker(std::function<bool(const std::string&)> wanted)
      : wanted_(std::move(wanted)) {}

  // As ParsePairedGroups, with only the wanted fields; errors about the rest (a bad name or
  // value in a column nobody wants) are not reported. A group whose names and values
  // differ in number is dropped with an error, as there.
  ParseResult Parse(std::string_view text);

 private:
  struct Column {
    size_t index;  // word index in the header and value lines (0 is "Group:")
    Field field;   // group and name; value filled per parse
  };
  struct Header {
    size_t words;                 // "Group:" and the names
    std::vector<Column> columns;  // the wanted ones
  };
  const Header& HeaderOf(std::string_view line);

  std::function<bool(const std::string&)> wanted_;
  // Header line -> what it holds; stays small (one entry per group of the kernel).
  std::unordered_map<std::string, Header> headers_;
  std::vector<std::string_view> lines_;  // reused between parses
};

}  // namespace netstat::snmp
