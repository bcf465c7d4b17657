// services(5) text, as /etc/services or --path.services gives it.
#include "collectors/listeners/services_parser.h"
#include "tests/fuzz/fuzz_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const netstat::listeners::ServiceTable table =
      netstat::listeners::ParseServices(netstat::fuzz::AsText(data, size));
  table.Find("tcp", 22);
  return 0;
}
