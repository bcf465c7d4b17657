// /proc/net/sockstat and /proc/net/sockstat6.
#include "readers/sockstat/sockstat_parser.h"
#include "tests/fuzz/fuzz_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  netstat::sockets::ParseSockstat(netstat::fuzz::AsText(data, size));
  return 0;
}
