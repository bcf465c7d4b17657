// The sock_diag decoders on hand-built dump bytes: several messages per buffer, DONE
// with and without an error, NLMSG_ERROR, stale sequence numbers, DUMP_INTR, and
// truncated or lying lengths.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstring>
#include <vector>

#include "readers/socket_table/sock_diag_parser.h"
#include "tests/netlink_message.h"

namespace netstat::socket_table {
namespace {

constexpr uint32_t kSeq = 7;
constexpr uint32_t kPort = 4242;

class Dump {
 public:
  Dump& Message(uint16_t type, const void* payload, size_t length, uint32_t seq = kSeq,
                uint16_t flags = NLM_F_MULTI) {
    netstat::testing::AppendNetlinkMessage(&bytes_, type, payload, length, flags, seq, kPort);
    return *this;
  }
  Dump& Inet(uint8_t family, uint8_t state, uint16_t sport, uint16_t dport, uint32_t rq,
             uint32_t wq, uint32_t seq = kSeq, uint16_t flags = NLM_F_MULTI, uint32_t device = 0) {
    inet_diag_msg m{};
    m.idiag_family = family;
    m.idiag_state = state;
    m.id.idiag_sport = htons(sport);
    m.id.idiag_dport = htons(dport);
    if (family == AF_INET) {
      m.id.idiag_src[0] = htonl(0x7f000001);
    } else {
      inet_pton(AF_INET6, "2001:db8::1", m.id.idiag_src);
    }
    m.idiag_rqueue = rq;
    m.idiag_wqueue = wq;
    m.idiag_uid = 1000;
    m.idiag_inode = 555;
    m.id.idiag_if = device;
    return Message(SOCK_DIAG_BY_FAMILY, &m, sizeof m, seq, flags);
  }
  Dump& Done(int error = 0) { return Message(NLMSG_DONE, &error, sizeof error); }
  Dump& Error(int error) {
    nlmsgerr e{};
    e.error = error;
    return Message(NLMSG_ERROR, &e, sizeof e, kSeq, 0);
  }
  std::span<const uint8_t> span() const { return bytes_; }
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

struct Seen {
  std::vector<InetSocket> sockets;
  InetVisitor visitor() {
    return [this](const InetSocket& s) { sockets.push_back(s); };
  }
};

TEST(SockDiagParser, InetMessagesThenDone) {
  Dump d;
  d.Inet(AF_INET, kListen, 22, 0, 0, 128).Inet(AF_INET, kEstablished, 22, 40000, 5, 7).Done();
  Seen seen;
  ChunkResult r = ParseInetChunk(d.span(), kSeq, kPort, Protocol::kTcp, seen.visitor());
  EXPECT_EQ(r.status, ChunkResult::kDone);
  EXPECT_EQ(r.sockets, 2u);
  EXPECT_FALSE(r.interrupted);
  ASSERT_EQ(seen.sockets.size(), 2u);
  const InetSocket& s = seen.sockets[1];
  EXPECT_EQ(s.protocol, Protocol::kTcp);
  EXPECT_EQ(s.family, Family::kIpv4);
  EXPECT_EQ(s.state, kEstablished);
  EXPECT_EQ(s.local_port, 22);
  EXPECT_EQ(s.remote_port, 40000);
  EXPECT_EQ(FormatAddress(Family::kIpv4, s.local_address), "127.0.0.1");
  EXPECT_EQ(s.receive_queue, 5u);
  EXPECT_EQ(s.send_queue, 7u);
  EXPECT_EQ(s.uid, 1000u);
  EXPECT_EQ(s.inode, 555u);
  EXPECT_EQ(seen.sockets[0].send_queue, 128u);  // a listener's backlog
  EXPECT_EQ(s.bound_interface, 0u);
}

// id.idiag_if is sk_bound_dev_if: SO_BINDTODEVICE, or a link-local address's scope.
TEST(SockDiagParser, BoundDevice) {
  Dump d;
  d.Inet(AF_INET6, kListen, 8082, 0, 2, 1, kSeq, NLM_F_MULTI, 7).Done();
  Seen seen;
  ParseInetChunk(d.span(), kSeq, kPort, Protocol::kTcp, seen.visitor());
  ASSERT_EQ(seen.sockets.size(), 1u);
  EXPECT_EQ(seen.sockets[0].bound_interface, 7u);
}

TEST(SockDiagParser, Ipv6AndMoreToCome) {
  Dump d;
  d.Inet(AF_INET6, kClose, 123, 0, 768, 0);
  Seen seen;
  ChunkResult r = ParseInetChunk(d.span(), kSeq, kPort, Protocol::kUdp, seen.visitor());
  EXPECT_EQ(r.status, ChunkResult::kMore);
  ASSERT_EQ(seen.sockets.size(), 1u);
  EXPECT_EQ(seen.sockets[0].family, Family::kIpv6);
  EXPECT_EQ(FormatAddress(Family::kIpv6, seen.sockets[0].local_address), "2001:db8::1");
}

TEST(SockDiagParser, ErrorInsideDone) {
  Dump d;
  d.Inet(AF_INET, kEstablished, 1, 2, 0, 0).Done(-ENOENT);
  Seen seen;
  ChunkResult r = ParseInetChunk(d.span(), kSeq, kPort, Protocol::kRaw, seen.visitor());
  EXPECT_EQ(r.status, ChunkResult::kError);
  EXPECT_EQ(r.error, ENOENT);
}

TEST(SockDiagParser, NetlinkError) {
  Dump d;
  d.Error(-EOPNOTSUPP);
  Seen seen;
  ChunkResult r = ParseInetChunk(d.span(), kSeq, kPort, Protocol::kUdpLite, seen.visitor());
  EXPECT_EQ(r.status, ChunkResult::kError);
  EXPECT_EQ(r.error, EOPNOTSUPP);
  Dump ack;
  ack.Error(0);
  EXPECT_EQ(ParseInetChunk(ack.span(), kSeq, kPort, Protocol::kTcp, seen.visitor()).status,
            ChunkResult::kDone);
}

// Found by tests/fuzz (sock_diag): negating INT_MIN overflowed. No errno is that large.
TEST(SockDiagParser, IntMinErrorDoesNotOverflow) {
  Dump done;
  done.Done(INT_MIN);
  Seen seen;
  ChunkResult r = ParseInetChunk(done.span(), kSeq, kPort, Protocol::kTcp, seen.visitor());
  EXPECT_EQ(r.status, ChunkResult::kError);
  EXPECT_EQ(r.error, INT_MAX);
  Dump error;
  error.Error(INT_MIN);
  r = ParseUnixChunk(error.span(), kSeq, kPort, [](const UnixSocket&) {});
  EXPECT_EQ(r.status, ChunkResult::kError);
  EXPECT_EQ(r.error, INT_MAX);
}

TEST(SockDiagParser, DoneWithoutErrorPayload) {
  Dump d;
  d.Message(NLMSG_DONE, "", 0);
  Seen seen;
  EXPECT_EQ(ParseInetChunk(d.span(), kSeq, kPort, Protocol::kTcp, seen.visitor()).status,
            ChunkResult::kDone);
}

TEST(SockDiagParser, SkipsStaleSequenceAndForeignPort) {
  Dump d;
  d.Inet(AF_INET, kEstablished, 1, 2, 0, 0, kSeq - 1).Inet(AF_INET, kEstablished, 3, 4, 0, 0);
  Seen seen;
  ChunkResult r = ParseInetChunk(d.span(), kSeq, kPort, Protocol::kTcp, seen.visitor());
  EXPECT_EQ(r.status, ChunkResult::kMore);
  EXPECT_EQ(r.skipped, 1u);
  ASSERT_EQ(seen.sockets.size(), 1u);
  EXPECT_EQ(seen.sockets[0].local_port, 3);
  Seen other;
  r = ParseInetChunk(d.span(), kSeq, kPort + 1, Protocol::kTcp, other.visitor());
  EXPECT_EQ(r.skipped, 2u);
  EXPECT_TRUE(other.sockets.empty());
}

TEST(SockDiagParser, DumpInterrupted) {
  Dump d;
  d.Inet(AF_INET, kEstablished, 1, 2, 0, 0, kSeq, NLM_F_MULTI | NLM_F_DUMP_INTR).Done();
  Seen seen;
  ChunkResult r = ParseInetChunk(d.span(), kSeq, kPort, Protocol::kTcp, seen.visitor());
  EXPECT_EQ(r.status, ChunkResult::kDone);
  EXPECT_TRUE(r.interrupted);
}

TEST(SockDiagParser, Truncated) {
  Dump d;
  d.Inet(AF_INET, kEstablished, 1, 2, 0, 0).Inet(AF_INET, kEstablished, 3, 4, 0, 0);
  Seen seen;
  // Cut inside the second message: its header claims more than is there.
  auto cut = d.span().first(d.span().size() - 10);
  ChunkResult r = ParseInetChunk(cut, kSeq, kPort, Protocol::kTcp, seen.visitor());
  EXPECT_EQ(r.status, ChunkResult::kMalformed);
  EXPECT_EQ(seen.sockets.size(), 1u);
  // Cut inside a header.
  r = ParseInetChunk(d.span().first(NLMSG_SPACE(sizeof(inet_diag_msg)) + 6), kSeq, kPort,
                     Protocol::kTcp, seen.visitor());
  EXPECT_EQ(r.status, ChunkResult::kMalformed);
  EXPECT_TRUE(ParseInetChunk({}, kSeq, kPort, Protocol::kTcp, seen.visitor()).status ==
              ChunkResult::kMore);
}

TEST(SockDiagParser, PayloadTooShortOrLengthTooSmall) {
  Dump d;
  uint8_t half[20] = {};
  d.Message(SOCK_DIAG_BY_FAMILY, half, sizeof half);
  Seen seen;
  EXPECT_EQ(ParseInetChunk(d.span(), kSeq, kPort, Protocol::kTcp, seen.visitor()).status,
            ChunkResult::kMalformed);
  Dump tiny;
  tiny.Done();
  uint32_t bogus_len = 8;  // shorter than a header: must not loop forever
  std::memcpy(tiny.bytes().data(), &bogus_len, sizeof bogus_len);
  EXPECT_EQ(ParseInetChunk(tiny.span(), kSeq, kPort, Protocol::kTcp, seen.visitor()).status,
            ChunkResult::kMalformed);
  EXPECT_TRUE(seen.sockets.empty());
}

std::vector<uint8_t> UnixPayload(uint8_t type, uint8_t state, bool rqlen, uint32_t rq, uint32_t wq,
                                 bool bad_attr = false) {
  unix_diag_msg m{};
  m.udiag_family = AF_UNIX;
  m.udiag_type = type;
  m.udiag_state = state;
  m.udiag_ino = 99;
  std::vector<uint8_t> p(sizeof m);
  std::memcpy(p.data(), &m, sizeof m);
  // An attribute we do not ask about comes first: it must be skipped.
  nlattr name{static_cast<uint16_t>(NLA_HDRLEN + 5), UNIX_DIAG_NAME};
  p.resize(p.size() + NLA_ALIGN(name.nla_len), 0);
  std::memcpy(p.data() + sizeof m, &name, sizeof name);
  std::memcpy(p.data() + sizeof m + NLA_HDRLEN, "/sock", 5);
  if (rqlen) {
    nlattr a{static_cast<uint16_t>(NLA_HDRLEN + sizeof(unix_diag_rqlen) + (bad_attr ? 64 : 0)),
             UNIX_DIAG_RQLEN};
    unix_diag_rqlen q{rq, wq};
    const size_t at = p.size();
    p.resize(at + NLA_HDRLEN + sizeof q);
    std::memcpy(p.data() + at, &a, sizeof a);
    std::memcpy(p.data() + at + NLA_HDRLEN, &q, sizeof q);
  }
  return p;
}

TEST(SockDiagParser, Unix) {
  Dump d;
  auto listen = UnixPayload(SOCK_STREAM, kListen, true, 3, 128);
  auto dgram = UnixPayload(SOCK_DGRAM, kClose, false, 0, 0);
  auto connected = UnixPayload(SOCK_SEQPACKET, kEstablished, true, 10, 20);
  d.Message(SOCK_DIAG_BY_FAMILY, listen.data(), listen.size())
      .Message(SOCK_DIAG_BY_FAMILY, dgram.data(), dgram.size())
      .Message(SOCK_DIAG_BY_FAMILY, connected.data(), connected.size())
      .Done();
  std::vector<UnixSocket> seen;
  ChunkResult r =
      ParseUnixChunk(d.span(), kSeq, kPort, [&](const UnixSocket& s) { seen.push_back(s); });
  EXPECT_EQ(r.status, ChunkResult::kDone);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].state, kListen);
  EXPECT_EQ(seen[0].receive_queue, 3u);
  EXPECT_EQ(seen[0].send_queue, 128u);
  EXPECT_EQ(seen[1].type, SOCK_DGRAM);
  EXPECT_EQ(seen[1].receive_queue, 0u);
  EXPECT_EQ(seen[2].state, kEstablished);
  EXPECT_EQ(seen[2].inode, 99u);
  EXPECT_EQ(seen[2].send_queue, 20u);
}

TEST(SockDiagParser, UnixBadAttribute) {
  Dump d;
  auto bad = UnixPayload(SOCK_STREAM, kListen, true, 3, 128, /*bad_attr=*/true);
  d.Message(SOCK_DIAG_BY_FAMILY, bad.data(), bad.size());
  int seen = 0;
  EXPECT_EQ(ParseUnixChunk(d.span(), kSeq, kPort, [&](const UnixSocket&) { ++seen; }).status,
            ChunkResult::kMalformed);
  EXPECT_EQ(seen, 0);
}

// An inet_diag_msg followed by INET_DIAG_INFO holding `info_length` bytes of a tcp_info
// whose tcpi_rtt is `rtt_us`, after an attribute the parser does not ask about.
std::vector<uint8_t> TcpWithInfo(uint32_t rtt_us, size_t info_length, bool bad_attr = false) {
  inet_diag_msg m{};
  m.idiag_family = AF_INET;
  m.idiag_state = kEstablished;
  m.id.idiag_sport = htons(80);
  std::vector<uint8_t> p(sizeof m);
  std::memcpy(p.data(), &m, sizeof m);
  const uint8_t tos = 0;
  nlattr other{static_cast<uint16_t>(NLA_HDRLEN + 1), INET_DIAG_TOS};
  p.resize(p.size() + NLA_ALIGN(other.nla_len), 0);
  std::memcpy(p.data() + sizeof m, &other, sizeof other);
  std::memcpy(p.data() + sizeof m + NLA_HDRLEN, &tos, 1);
  tcp_info info{};
  info.tcpi_rtt = rtt_us;
  nlattr a{static_cast<uint16_t>(NLA_HDRLEN + info_length + (bad_attr ? 64 : 0)), INET_DIAG_INFO};
  const size_t at = p.size();
  p.resize(at + NLA_HDRLEN + NLA_ALIGN(info_length), 0);
  std::memcpy(p.data() + at, &a, sizeof a);
  std::memcpy(p.data() + at + NLA_HDRLEN, &info, std::min(info_length, sizeof info));
  return p;
}

TEST(SockDiagParser, TcpInfoGivesTheSmoothedRtt) {
  Dump d;
  const auto full = TcpWithInfo(1234, sizeof(tcp_info));
  // An older kernel's shorter tcp_info still holds tcpi_rtt...
  const auto old = TcpWithInfo(777, offsetof(tcp_info, tcpi_rtt) + 4);
  // ...but one cut before it does not: no RTT, and no misread.
  const auto cut = TcpWithInfo(999, offsetof(tcp_info, tcpi_rtt));
  d.Message(SOCK_DIAG_BY_FAMILY, full.data(), full.size())
      .Message(SOCK_DIAG_BY_FAMILY, old.data(), old.size())
      .Message(SOCK_DIAG_BY_FAMILY, cut.data(), cut.size())
      .Inet(AF_INET, kEstablished, 80, 40000, 0, 0)  // none asked for
      .Done();
  Seen seen;
  EXPECT_EQ(ParseInetChunk(d.span(), kSeq, kPort, Protocol::kTcp, seen.visitor()).status,
            ChunkResult::kDone);
  ASSERT_EQ(seen.sockets.size(), 4u);
  EXPECT_EQ(seen.sockets[0].rtt_us, 1234u);
  EXPECT_EQ(seen.sockets[1].rtt_us, 777u);
  EXPECT_EQ(seen.sockets[2].rtt_us, 0u);
  EXPECT_EQ(seen.sockets[3].rtt_us, 0u);
}

TEST(SockDiagParser, TcpInfoLongerThanItsMessageIsMalformed) {
  Dump d;
  const auto bad = TcpWithInfo(1234, sizeof(tcp_info), /*bad_attr=*/true);
  d.Message(SOCK_DIAG_BY_FAMILY, bad.data(), bad.size());
  Seen seen;
  EXPECT_EQ(ParseInetChunk(d.span(), kSeq, kPort, Protocol::kTcp, seen.visitor()).status,
            ChunkResult::kMalformed);
  EXPECT_TRUE(seen.sockets.empty());
}

TEST(SockDiagRequest, TcpInfoIsAskedForOnlyForTcp) {
  uint8_t buf[kMaxRequestSize];
  inet_diag_req_v2 r;
  BuildInetDumpRequest(buf, 1, Protocol::kTcp, Family::kIpv4, kAllStates, true);
  std::memcpy(&r, buf + NLMSG_HDRLEN, sizeof r);
  EXPECT_EQ(r.idiag_ext, 1u << (INET_DIAG_INFO - 1));
  BuildInetDumpRequest(buf, 1, Protocol::kUdp, Family::kIpv4, kAllStates, true);
  std::memcpy(&r, buf + NLMSG_HDRLEN, sizeof r);
  EXPECT_EQ(r.idiag_ext, 0u);
  BuildInetDumpRequest(buf, 1, Protocol::kTcp, Family::kIpv4, kAllStates);
  std::memcpy(&r, buf + NLMSG_HDRLEN, sizeof r);
  EXPECT_EQ(r.idiag_ext, 0u);
  inet_diag_req both;
  BuildTcpDumpRequestBothFamilies(buf, 1, kAllStates, true);
  std::memcpy(&both, buf + NLMSG_HDRLEN, sizeof both);
  EXPECT_EQ(both.idiag_ext, 1u << (INET_DIAG_INFO - 1));
}

TEST(SockDiagRequest, Inet) {
  uint8_t buf[kMaxRequestSize];
  const size_t n = BuildInetDumpRequest(buf, 9, Protocol::kRaw, Family::kIpv6, StateBit(kListen));
  ASSERT_EQ(n, NLMSG_LENGTH(sizeof(inet_diag_req_v2)));
  nlmsghdr h;
  std::memcpy(&h, buf, sizeof h);
  EXPECT_EQ(h.nlmsg_type, SOCK_DIAG_BY_FAMILY);
  EXPECT_EQ(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
  EXPECT_EQ(h.nlmsg_seq, 9u);
  inet_diag_req_v2 r;
  std::memcpy(&r, buf + NLMSG_HDRLEN, sizeof r);
  EXPECT_EQ(r.sdiag_family, AF_INET6);
  EXPECT_EQ(r.sdiag_protocol, IPPROTO_RAW);
  EXPECT_EQ(r.pad, 0);  // sdiag_raw_protocol: every raw protocol
  EXPECT_EQ(r.idiag_states, 1u << kListen);
}

TEST(SockDiagRequest, Unix) {
  uint8_t buf[kMaxRequestSize];
  const size_t n = BuildUnixDumpRequest(buf, 3);
  ASSERT_EQ(n, NLMSG_LENGTH(sizeof(unix_diag_req)));
  unix_diag_req r;
  std::memcpy(&r, buf + NLMSG_HDRLEN, sizeof r);
  EXPECT_EQ(r.sdiag_family, AF_UNIX);
  EXPECT_EQ(r.udiag_show, static_cast<uint32_t>(UDIAG_SHOW_RQLEN));
  EXPECT_EQ(r.udiag_states, kAllStates);
}

}  // namespace
}  // namespace netstat::socket_table
