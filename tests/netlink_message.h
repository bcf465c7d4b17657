// Hand-built netlink bytes for the unit tests and the fuzz seeds: one message appended to
// a buffer, header and payload, padded to the alignment the kernel uses.
#pragma once

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace netstat::testing {

// Appends a message of `type` carrying `length` bytes of `payload`; returns its offset.
inline size_t AppendNetlinkMessage(std::vector<uint8_t>* bytes, uint16_t type, const void* payload,
                                   size_t length, uint16_t flags, uint32_t seq, uint32_t port) {
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(length));
  h.nlmsg_type = type;
  h.nlmsg_flags = flags;
  h.nlmsg_seq = seq;
  h.nlmsg_pid = port;
  const size_t at = bytes->size();
  bytes->resize(at + NLMSG_SPACE(length), 0);
  std::memcpy(&(*bytes)[at], &h, sizeof h);
  std::memcpy(&(*bytes)[at + NLMSG_HDRLEN], payload, length);
  return at;
}

}  // namespace netstat::testing
