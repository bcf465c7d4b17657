// /proc/net/route and /proc/net/ipv6_route: every input goes through both parsers.
#include "collectors/routes/proc_route_parser.h"
#include "tests/fuzz/fuzz_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = netstat::fuzz::AsText(data, size);
  netstat::routes::ParseProcRoute(text);
  netstat::routes::ParseIpv6Route(text);
  return 0;
}
