// /proc/net/snmp, /proc/net/netstat (paired groups) and /proc/net/snmp6: every input goes
// through both parsers, so the fixture files of either format seed both; and through the
// picker that reads other namespaces' files, twice (the second from its header cache, through the
// ids).
#include "collectors/snmp/field_picker.h"
#include "collectors/snmp/snmp_parser.h"
#include "tests/fuzz/fuzz_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = netstat::fuzz::AsText(data, size);
  netstat::snmp::ParsePairedGroups(text);
  netstat::snmp::ParseSnmp6(text);
  // A fresh picker per input: its cache grows with each distinct header line.
  netstat::snmp::FieldPicker picker(
      [](const std::string& key) { return key.size() % 2 == 0 || key.find('T') == 0; });
  picker.Parse(text);
  std::vector<netstat::snmp::PickedValue> values;
  std::vector<std::string> errors;
  picker.Parse(text, &values, &errors);
  for (const auto& v : values) {
    if (v.id >= picker.keys().size()) __builtin_trap();  // every id names a key
  }
  return 0;
}
