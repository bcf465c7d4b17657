// The walk over the bytes of one recv() of a netlink dump reply, shared by every dump
// (sock_diag, rtnetlink): messages of another request skipped, NLM_F_DUMP_INTR noticed,
// the error inside NLMSG_DONE and NLMSG_ERROR read, lengths that do not fit refused.
// Pure and header-only, so it is tested and fuzzed on hand-built bytes.
#pragma once

#include <linux/netlink.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace netstat::netlink {

struct ReplyChunk {
  enum Status : uint8_t {
    kMore,       // every message read; the reply continues in the next recv()
    kDone,       // NLMSG_DONE with no error, or an NLMSG_ERROR acknowledgement (0)
    kError,      // NLMSG_ERROR, or an error carried in NLMSG_DONE: see `error`
    kMalformed,  // a length that does not fit: the rest of the buffer was dropped
  };
  Status status = kMore;
  int error = 0;             // positive errno for kError
  bool interrupted = false;  // some message carried NLM_F_DUMP_INTR
  uint32_t messages = 0;     // messages of the wanted type handed over
  uint32_t skipped = 0;      // messages of another sequence or port: stale, ignored
};

// The positive errno for the kernel's negative one. INT_MIN is no errno and has no
// positive int: it becomes INT_MAX rather than overflowing.
inline int PositiveErrno(int error) { return error == INT_MIN ? INT_MAX : -error; }

// Walks `bytes`, the reply to request `seq` sent from netlink port `portid` (0: do not
// check the port), and hands every message of type `type` to
// `on_message(std::span<const uint8_t> message)` (header included, nlmsg_len bytes),
// which returns false when the message is malformed. Other types (NLMSG_NOOP, anything
// newer) are passed over. Stops at NLMSG_DONE / NLMSG_ERROR / NLMSG_OVERRUN.
template <typename OnMessage>
ReplyChunk WalkReply(std::span<const uint8_t> bytes, uint32_t seq, uint32_t portid, uint16_t type,
                     OnMessage&& on_message) {
  ReplyChunk r;
  const uint8_t* p = bytes.data();
  size_t left = bytes.size();
  while (left >= sizeof(nlmsghdr)) {
    nlmsghdr h;
    std::memcpy(&h, p, sizeof h);  // the bytes need not be aligned
    if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > left) {
      r.status = ReplyChunk::kMalformed;
      return r;
    }
    const std::span<const uint8_t> message(p, h.nlmsg_len);
    const uint8_t* payload = p + NLMSG_HDRLEN;
    const size_t length = h.nlmsg_len - NLMSG_HDRLEN;
    const size_t step = std::min<size_t>(NLMSG_ALIGN(h.nlmsg_len), left);
    p += step;
    left -= step;
    if (h.nlmsg_seq != seq || (portid != 0 && h.nlmsg_pid != portid)) {
      ++r.skipped;  // the tail of an earlier, abandoned dump
      continue;
    }
    if (h.nlmsg_flags & NLM_F_DUMP_INTR) r.interrupted = true;
    int error = 0;
    switch (h.nlmsg_type) {
      case NLMSG_DONE:
        // The kernel appends the dump callback's error (0 when it went well).
        if (length >= sizeof error) std::memcpy(&error, payload, sizeof error);
        r.status = error < 0 ? ReplyChunk::kError : ReplyChunk::kDone;
        r.error = PositiveErrno(error);
        return r;
      case NLMSG_ERROR:
        if (length < sizeof error) {
          r.status = ReplyChunk::kMalformed;
          return r;
        }
        std::memcpy(&error, payload, sizeof error);
        // error 0 is an acknowledgement: the request ended without a dump.
        r.status = error < 0 ? ReplyChunk::kError : ReplyChunk::kDone;
        r.error = PositiveErrno(error);
        return r;
      case NLMSG_OVERRUN:
        r.status = ReplyChunk::kError;
        r.error = EOVERFLOW;
        return r;
      default:
        if (h.nlmsg_type != type) break;  // NLMSG_NOOP and anything newer
        if (!on_message(message)) {
          r.status = ReplyChunk::kMalformed;
          return r;
        }
        ++r.messages;
        break;
    }
  }
  if (left != 0) r.status = ReplyChunk::kMalformed;
  return r;
}

}  // namespace netstat::netlink
