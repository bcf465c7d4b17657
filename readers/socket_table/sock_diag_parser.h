// Pure encoders and decoders for NETLINK_SOCK_DIAG dumps: the request for one
// protocol/family (inet_diag_req_v2, unix_diag_req) and the walk over the bytes of one
// recv() of the reply (inet_diag_msg / unix_diag_msg, NLMSG_DONE, NLMSG_ERROR), on the
// shared netlink::WalkReply. No socket here, so the walk is tested on hand-built bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

#include "readers/socket_table/socket_table.h"

namespace netstat::socket_table {

using InetVisitor = std::function<void(const InetSocket&)>;
using UnixVisitor = std::function<void(const UnixSocket&)>;

// Large enough for any request below.
constexpr size_t kMaxRequestSize = 128;

// Writes a SOCK_DIAG_BY_FAMILY dump request into `buf`; returns its length. Raw
// sockets are asked for with protocol IPPROTO_RAW and sdiag_raw_protocol 0 (every
// underlying protocol). `tcp_info`: TCP replies carry INET_DIAG_INFO (InetSocket::rtt_us).
size_t BuildInetDumpRequest(uint8_t* buf, uint32_t seq, Protocol protocol, Family family,
                            uint32_t states, bool tcp_info = false);
// A TCPDIAG_GETSOCK (inet_diag_req) dump request: the kernel walks its TCP tables once
// for IPv4 and IPv6 together, where two SOCK_DIAG_BY_FAMILY requests walk the whole
// established hash (shared by every network namespace) once each. Replies carry
// nlmsg_type TCPDIAG_GETSOCK.
size_t BuildTcpDumpRequestBothFamilies(uint8_t* buf, uint32_t seq, uint32_t states,
                                       bool tcp_info = false);
size_t BuildUnixDumpRequest(uint8_t* buf, uint32_t seq);  // all states, UDIAG_SHOW_RQLEN

// netlink::ReplyChunk (reply_walk.h) in sock_diag's words; the statuses are the same.
struct ChunkResult {
  enum Status : uint8_t {
    kMore,       // every message read; the dump continues in the next recv()
    kDone,       // NLMSG_DONE with no error
    kError,      // NLMSG_ERROR, or an error carried in NLMSG_DONE: see `error`
    kMalformed,  // a length that does not fit: the rest of the buffer was dropped
  };
  Status status = kMore;
  int error = 0;             // positive errno for kError
  bool interrupted = false;  // some message carried NLM_F_DUMP_INTR
  uint32_t sockets = 0;      // sockets handed to the visitor
  uint32_t skipped = 0;      // messages of another sequence or port: stale, ignored
};

// Walks one recv() buffer of the reply to request `seq` sent from netlink port `portid`
// (0: do not check the port). Stops at NLMSG_DONE / NLMSG_ERROR.
// `reply_type`: SOCK_DIAG_BY_FAMILY (20), or TCPDIAG_GETSOCK (18) for the request above.
ChunkResult ParseInetChunk(std::span<const uint8_t> bytes, uint32_t seq, uint32_t portid,
                           Protocol protocol, const InetVisitor& visit, uint16_t reply_type = 20);
ChunkResult ParseUnixChunk(std::span<const uint8_t> bytes, uint32_t seq, uint32_t portid,
                           const UnixVisitor& visit);

}  // namespace netstat::socket_table
