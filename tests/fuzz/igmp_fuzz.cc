// /proc/net/igmp and /proc/net/igmp6: every input goes through both parsers.
#include "collectors/multicast/igmp_parser.h"
#include "tests/fuzz/fuzz_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = netstat::fuzz::AsText(data, size);
  netstat::multicast::ParseIgmp(text);
  netstat::multicast::ParseIgmp6(text);
  return 0;
}
