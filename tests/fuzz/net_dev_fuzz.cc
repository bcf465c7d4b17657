// /proc/net/dev.
#include "collectors/interfaces/net_dev_parser.h"
#include "tests/fuzz/fuzz_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  netstat::interfaces::ParseNetDev(netstat::fuzz::AsText(data, size));
  return 0;
}
