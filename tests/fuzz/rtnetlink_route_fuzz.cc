// The rtnetlink route parser on raw bytes. The input is first handed over whole as one
// message (the parser must check nlmsg_len against the length itself), then walked
// message by message as rtnetlink_dump.cc hands them over. The bytes are copied into an
// aligned buffer first, as a recv() buffer is.
#include <linux/netlink.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "collectors/routes/rtnetlink_route_parser.h"

namespace {

std::string Name(uint32_t ifindex) { return ifindex >= 1 && ifindex <= 3 ? "eth0" : ""; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // Exactly `size` bytes, so AddressSanitizer sees a read past the end.
  const std::vector<uint8_t> bytes(data, data + size);
  std::vector<netstat::routes::Route> routes;
  netstat::routes::ParseRouteMessage(bytes.data(), size, Name, &routes);

  // Not mnl_nlmsg_ok/mnl_nlmsg_next: libmnl compares (int)nlmsg_len, so a length of
  // 2^31 or more passes and the walk jumps out of the buffer. Only the kernel writes
  // what rtnetlink_dump.cc walks, and it never sends such a length.
  size_t offset = 0;
  while (size - offset >= sizeof(nlmsghdr)) {
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(bytes.data() + offset);
    if (nlh->nlmsg_len < sizeof(nlmsghdr) || nlh->nlmsg_len > size - offset) break;
    netstat::routes::ParseRouteMessage(nlh, nlh->nlmsg_len, Name, &routes);
    offset += std::min<size_t>(NLMSG_ALIGN(nlh->nlmsg_len), size - offset);
  }
  return 0;
}
