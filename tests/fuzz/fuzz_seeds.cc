// Writes the seed inputs of the two netlink fuzz targets into DIR/sock_diag and
// DIR/rtnetlink_route: small valid dumps built the way the unit tests build them
// (sock_diag_test.cc, routes_rtnetlink_test.cc), from which the fuzzer mutates.
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tests/netlink_message.h"

namespace {

constexpr uint32_t kSeq = 7;  // the sequence number sock_diag_fuzz.cc asks for
constexpr uint32_t kPort = 4242;

class Bytes {
 public:
  // Appends a netlink message; returns its offset so attributes can be added to it.
  size_t Message(uint16_t type, const void* payload, size_t length, uint16_t flags) {
    return netstat::testing::AppendNetlinkMessage(&bytes_, type, payload, length, flags, kSeq,
                                                  kPort);
  }
  // Appends an attribute to the message at `msg` (the last one) and grows its length.
  void Attr(size_t msg, uint16_t type, const void* payload, size_t length) {
    rtattr a{};
    a.rta_len = static_cast<uint16_t>(RTA_LENGTH(length));
    a.rta_type = type;
    const size_t at = bytes_.size();
    bytes_.resize(at + RTA_SPACE(length), 0);
    std::memcpy(&bytes_[at], &a, sizeof a);
    std::memcpy(&bytes_[at + RTA_LENGTH(0)], payload, length);
    const auto len = static_cast<uint32_t>(bytes_.size() - msg);
    std::memcpy(&bytes_[msg], &len, sizeof len);
  }
  void Done(int error) { Message(NLMSG_DONE, &error, sizeof error, NLM_F_MULTI); }
  bool Write(const std::string& path) const {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) return false;
    const bool ok = std::fwrite(bytes_.data(), 1, bytes_.size(), f) == bytes_.size();
    return std::fclose(f) == 0 && ok;
  }

 private:
  std::vector<uint8_t> bytes_;
};

void Inet(Bytes* b, uint8_t family, uint8_t state, uint16_t sport, uint16_t flags) {
  inet_diag_msg m{};
  m.idiag_family = family;
  m.idiag_state = state;
  m.id.idiag_sport = htons(sport);
  m.id.idiag_dport = htons(40000);
  inet_pton(family, family == AF_INET ? "127.0.0.1" : "2001:db8::1", m.id.idiag_src);
  m.idiag_rqueue = 5;
  m.idiag_wqueue = 128;
  m.idiag_uid = 1000;
  m.idiag_inode = 555;
  b->Message(SOCK_DIAG_BY_FAMILY, &m, sizeof m, flags);
}

void Unix(Bytes* b, uint8_t state) {
  struct {
    unix_diag_msg msg;
    nlattr attr;
    unix_diag_rqlen rqlen;
  } m{};
  m.msg.udiag_family = AF_UNIX;
  m.msg.udiag_type = SOCK_STREAM;
  m.msg.udiag_state = state;
  m.msg.udiag_ino = 777;
  m.attr.nla_len = NLA_HDRLEN + sizeof m.rqlen;
  m.attr.nla_type = UNIX_DIAG_RQLEN;
  m.rqlen.udiag_rqueue = 3;
  m.rqlen.udiag_wqueue = 64;
  b->Message(SOCK_DIAG_BY_FAMILY, &m, sizeof m, NLM_F_MULTI);
}

size_t Route(Bytes* b, uint8_t family, uint8_t dst_len, uint8_t table, uint8_t type) {
  rtmsg r{};
  r.rtm_family = family;
  r.rtm_dst_len = dst_len;
  r.rtm_table = table;
  r.rtm_type = type;
  return b->Message(RTM_NEWROUTE, &r, sizeof r, NLM_F_MULTI);
}

void Addr(Bytes* b, size_t msg, uint16_t type, int family, const char* text) {
  uint8_t a[16];
  inet_pton(family, text, a);
  b->Attr(msg, type, a, family == AF_INET6 ? 16 : 4);
}

void U32(Bytes* b, size_t msg, uint16_t type, uint32_t v) { b->Attr(msg, type, &v, sizeof v); }

// RTA_MULTIPATH with two IPv4 nexthops, each an rtnexthop and its RTA_GATEWAY.
void Multipath(Bytes* b, size_t msg) {
  std::vector<uint8_t> hops;
  for (uint8_t ifindex : {2, 3}) {
    struct {
      rtnexthop nh;
      rtattr attr;
      uint8_t gateway[4];
    } hop{};
    static_assert(sizeof hop == RTNH_LENGTH(RTA_SPACE(4)));
    hop.nh.rtnh_len = sizeof hop;
    hop.nh.rtnh_ifindex = ifindex;
    hop.attr.rta_len = RTA_LENGTH(4);
    hop.attr.rta_type = RTA_GATEWAY;
    const uint8_t gateway[4] = {192, 0, 2, ifindex};
    std::memcpy(hop.gateway, gateway, sizeof gateway);
    const auto* p = reinterpret_cast<const uint8_t*>(&hop);
    hops.insert(hops.end(), p, p + sizeof hop);
  }
  b->Attr(msg, RTA_MULTIPATH, hops.data(), hops.size());
}

bool SockDiagSeeds(const std::string& dir) {
  Bytes tcp;
  Inet(&tcp, AF_INET, 10, 22, NLM_F_MULTI);
  Inet(&tcp, AF_INET, 1, 22, NLM_F_MULTI);
  tcp.Done(0);
  Bytes more;  // no DONE: the dump goes on in the next recv()
  Inet(&more, AF_INET6, 7, 123, NLM_F_MULTI);
  Bytes interrupted;
  Inet(&interrupted, AF_INET6, 1, 443, NLM_F_MULTI | NLM_F_DUMP_INTR);
  interrupted.Done(-ENOENT);
  Bytes unix_sockets;
  Unix(&unix_sockets, 10);
  Unix(&unix_sockets, 1);
  unix_sockets.Done(0);
  Bytes error;
  nlmsgerr e{};
  e.error = -EPERM;
  error.Message(NLMSG_ERROR, &e, sizeof e, 0);
  return tcp.Write(dir + "/tcp") && more.Write(dir + "/more") &&
         interrupted.Write(dir + "/interrupted") && unix_sockets.Write(dir + "/unix") &&
         error.Write(dir + "/error");
}

bool RouteSeeds(const std::string& dir) {
  Bytes dump;  // a default route, an IPv6 prefix, a local route, a multipath route, DONE
  size_t m = Route(&dump, AF_INET, 0, RT_TABLE_MAIN, RTN_UNICAST);
  Addr(&dump, m, RTA_GATEWAY, AF_INET, "192.0.2.1");
  U32(&dump, m, RTA_OIF, 2);
  U32(&dump, m, RTA_TABLE, RT_TABLE_MAIN);
  m = Route(&dump, AF_INET6, 64, RT_TABLE_MAIN, RTN_UNICAST);
  Addr(&dump, m, RTA_DST, AF_INET6, "2001:db8::");
  U32(&dump, m, RTA_OIF, 3);
  m = Route(&dump, AF_INET6, 128, RT_TABLE_LOCAL, RTN_LOCAL);
  Addr(&dump, m, RTA_DST, AF_INET6, "2001:db8::10");
  m = Route(&dump, AF_INET, 24, RT_TABLE_MAIN, RTN_UNICAST);
  Addr(&dump, m, RTA_DST, AF_INET, "198.51.100.0");
  Multipath(&dump, m);
  dump.Done(0);
  Bytes via;  // an IPv4 route through an IPv6 gateway
  m = Route(&via, AF_INET, 0, RT_TABLE_MAIN, RTN_UNICAST);
  uint8_t v[sizeof(rtvia) + 16] = {};  // rtvia ends in a flexible array
  const __kernel_sa_family_t via_family = AF_INET6;
  std::memcpy(v, &via_family, sizeof via_family);
  inet_pton(AF_INET6, "fe80::1", v + sizeof(rtvia));
  via.Attr(m, RTA_VIA, v, sizeof v);
  U32(&via, m, RTA_OIF, 1);
  return dump.Write(dir + "/dump") && via.Write(dir + "/via");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const std::string sock_diag = dir + "/sock_diag";
  const std::string routes = dir + "/rtnetlink_route";
  mkdir(dir.c_str(), 0755);
  mkdir(sock_diag.c_str(), 0755);
  mkdir(routes.c_str(), 0755);
  if (!SockDiagSeeds(sock_diag) || !RouteSeeds(routes)) {
    std::perror("fuzz_seeds: writing the seeds");
    return 1;
  }
  return 0;
}
