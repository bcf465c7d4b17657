#include "readers/socket_table/sock_diag_parser.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstring>

#include "readers/netlink/reply_walk.h"

namespace netstat::socket_table {
namespace {

uint8_t IpProtocol(Protocol p) {
  switch (p) {
    case Protocol::kTcp:
      return IPPROTO_TCP;
    case Protocol::kUdp:
      return IPPROTO_UDP;
    case Protocol::kUdpLite:
      return IPPROTO_UDPLITE;
    default:
      return IPPROTO_RAW;
  }
}

template <typename Request>
size_t PutRequest(uint8_t* buf, uint32_t seq, const Request& request,
                  uint16_t type = SOCK_DIAG_BY_FAMILY) {
  nlmsghdr h{};
  h.nlmsg_len = NLMSG_LENGTH(sizeof(Request));
  h.nlmsg_type = type;
  h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  h.nlmsg_seq = seq;
  static_assert(NLMSG_LENGTH(sizeof(Request)) <= kMaxRequestSize);
  std::memset(buf, 0, NLMSG_SPACE(sizeof(Request)));
  std::memcpy(buf, &h, sizeof h);
  std::memcpy(buf + NLMSG_HDRLEN, &request, sizeof request);
  return h.nlmsg_len;
}

// The shared netlink walk (reply_walk.h), keeping only sock_diag answers.
// `decode(payload, length)` returns false when the payload is too short for its struct.
template <typename Decode>
ChunkResult Walk(std::span<const uint8_t> bytes, uint32_t seq, uint32_t portid, uint16_t type,
                 Decode&& decode) {
  const netlink::ReplyChunk c =
      netlink::WalkReply(bytes, seq, portid, type, [&](std::span<const uint8_t> m) {
        return decode(m.data() + NLMSG_HDRLEN, m.size() - NLMSG_HDRLEN);
      });
  static_assert(int{ChunkResult::kMore} == int{netlink::ReplyChunk::kMore} &&
                int{ChunkResult::kDone} == int{netlink::ReplyChunk::kDone} &&
                int{ChunkResult::kError} == int{netlink::ReplyChunk::kError} &&
                int{ChunkResult::kMalformed} == int{netlink::ReplyChunk::kMalformed});
  ChunkResult r;
  r.status = static_cast<ChunkResult::Status>(c.status);
  r.error = c.error;
  r.interrupted = c.interrupted;
  r.sockets = c.messages;
  r.skipped = c.skipped;
  return r;
}

bool DecodeInet(const uint8_t* payload, size_t length, Protocol protocol, InetSocket* s) {
  inet_diag_msg m;
  if (length < sizeof m) return false;
  std::memcpy(&m, payload, sizeof m);
  s->protocol = protocol;
  s->family = m.idiag_family == AF_INET6 ? Family::kIpv6 : Family::kIpv4;
  s->state = m.idiag_state;
  s->local_port = ntohs(m.id.idiag_sport);
  s->remote_port = ntohs(m.id.idiag_dport);
  const size_t width = s->family == Family::kIpv6 ? 16 : 4;
  s->local_address.fill(0);
  s->remote_address.fill(0);
  std::memcpy(s->local_address.data(), m.id.idiag_src, width);
  std::memcpy(s->remote_address.data(), m.id.idiag_dst, width);
  s->receive_queue = m.idiag_rqueue;
  s->send_queue = m.idiag_wqueue;
  s->uid = m.idiag_uid;
  s->inode = m.idiag_inode;
  s->bound_interface = m.id.idiag_if;  // sk_bound_dev_if
  s->rtt_us = 0;
  // INET_DIAG_INFO, when asked for: a struct tcp_info, as long as the kernel's (older
  // kernels send a shorter one; tcpi_rtt has been in it since the first).
  constexpr size_t kRttEnd = offsetof(tcp_info, tcpi_rtt) + sizeof(uint32_t);
  size_t offset = NLMSG_ALIGN(sizeof m);
  while (offset + sizeof(nlattr) <= length) {
    nlattr a;
    std::memcpy(&a, payload + offset, sizeof a);
    if (a.nla_len < sizeof a || offset + a.nla_len > length) return false;
    if ((a.nla_type & NLA_TYPE_MASK) == INET_DIAG_INFO && protocol == Protocol::kTcp &&
        a.nla_len >= NLA_HDRLEN + kRttEnd) {
      std::memcpy(&s->rtt_us, payload + offset + NLA_HDRLEN + offsetof(tcp_info, tcpi_rtt),
                  sizeof s->rtt_us);
    }
    offset += NLA_ALIGN(a.nla_len);
  }
  return true;
}

bool DecodeUnix(const uint8_t* payload, size_t length, UnixSocket* s) {
  unix_diag_msg m;
  if (length < sizeof m) return false;
  std::memcpy(&m, payload, sizeof m);
  s->type = m.udiag_type;
  s->state = m.udiag_state == kListen        ? kListen
             : m.udiag_state == kEstablished ? kEstablished
                                             : kClose;
  s->inode = m.udiag_ino;
  s->receive_queue = 0;
  s->send_queue = 0;
  size_t offset = NLMSG_ALIGN(sizeof m);
  while (offset + sizeof(nlattr) <= length) {
    nlattr a;
    std::memcpy(&a, payload + offset, sizeof a);
    if (a.nla_len < sizeof a || offset + a.nla_len > length) return false;
    if ((a.nla_type & NLA_TYPE_MASK) == UNIX_DIAG_RQLEN &&
        a.nla_len >= NLA_HDRLEN + sizeof(unix_diag_rqlen)) {
      unix_diag_rqlen q;
      std::memcpy(&q, payload + offset + NLA_HDRLEN, sizeof q);
      s->receive_queue = q.udiag_rqueue;
      s->send_queue = q.udiag_wqueue;
    }
    offset += NLA_ALIGN(a.nla_len);
  }
  return true;
}

}  // namespace

size_t BuildInetDumpRequest(uint8_t* buf, uint32_t seq, Protocol protocol, Family family,
                            uint32_t states, bool tcp_info) {
  inet_diag_req_v2 r{};
  if (tcp_info && protocol == Protocol::kTcp) r.idiag_ext = 1u << (INET_DIAG_INFO - 1);
  r.sdiag_family = family == Family::kIpv6 ? AF_INET6 : AF_INET;
  r.sdiag_protocol = IpProtocol(protocol);
  r.idiag_states = states;
  // For IPPROTO_RAW `pad` is sdiag_raw_protocol; 0 leaves every raw socket in the dump.
  r.pad = 0;
  return PutRequest(buf, seq, r);
}

size_t BuildTcpDumpRequestBothFamilies(uint8_t* buf, uint32_t seq, uint32_t states, bool tcp_info) {
  // The compat request dumps with sdiag_family AF_UNSPEC inside the kernel: one walk of
  // the established hash returns IPv4 and IPv6 sockets alike.
  inet_diag_req r{};
  r.idiag_family = AF_INET;
  r.idiag_states = states;
  if (tcp_info) r.idiag_ext = 1u << (INET_DIAG_INFO - 1);
  return PutRequest(buf, seq, r, TCPDIAG_GETSOCK);
}

size_t BuildUnixDumpRequest(uint8_t* buf, uint32_t seq) {
  unix_diag_req r{};
  r.sdiag_family = AF_UNIX;
  r.udiag_states = kAllStates;
  r.udiag_show = UDIAG_SHOW_RQLEN;
  return PutRequest(buf, seq, r);
}

ChunkResult ParseInetChunk(std::span<const uint8_t> bytes, uint32_t seq, uint32_t portid,
                           Protocol protocol, const InetVisitor& visit, uint16_t reply_type) {
  InetSocket s;
  return Walk(bytes, seq, portid, reply_type, [&](const uint8_t* payload, size_t length) {
    if (!DecodeInet(payload, length, protocol, &s)) return false;
    visit(s);
    return true;
  });
}

ChunkResult ParseUnixChunk(std::span<const uint8_t> bytes, uint32_t seq, uint32_t portid,
                           const UnixVisitor& visit) {
  UnixSocket s;
  return Walk(bytes, seq, portid, SOCK_DIAG_BY_FAMILY, [&](const uint8_t* payload, size_t length) {
    if (!DecodeUnix(payload, length, &s)) return false;
    visit(s);
    return true;
  });
}

}  // namespace netstat::socket_table
