// /proc/net/snmp, /proc/net/netstat (paired groups) and /proc/net/snmp6: every input goes
// through both parsers, so the fixture files of either format seed both.
#include "collectors/snmp/snmp_parser.h"
#include "tests/fuzz/fuzz_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = netstat::fuzz::AsText(data, size);
  netstat::snmp::ParsePairedGroups(text);
  netstat::snmp::ParseSnmp6(text);
  return 0;
}
