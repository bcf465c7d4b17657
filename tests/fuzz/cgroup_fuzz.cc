// /proc/PID/cgroup text, cgroup v1 or v2, as any container runtime leaves it.
#include <cstdlib>

#include "readers/netns/container_identity.h"
#include "tests/fuzz/fuzz_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const netstat::netns::ContainerIdentity id =
      netstat::netns::ParseCgroup(netstat::fuzz::AsText(data, size));
  // Whatever the input, an id is 64 hex digits or nothing.
  if (!id.container_id.empty() && id.container_id.size() != 64) std::abort();
  return 0;
}
