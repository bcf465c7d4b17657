// The rtnetlink parser on hand-built RTM_NEWROUTE messages.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <string>
#include <vector>

#include "collectors/routes/proc_route_parser.h"
#include "collectors/routes/rtnetlink_dump.h"
#include "collectors/routes/rtnetlink_route_parser.h"
#include "readers/procfs/root.h"

namespace netstat::routes {
namespace {

std::string Name(uint32_t ifindex) {
  switch (ifindex) {
    case 1:
      return "lo";
    case 2:
      return "eth0";
    case 3:
      return "eth1";
    default:
      return "";
  }
}

class Message {
 public:
  Message(int af, uint8_t dst_len, uint8_t table, uint8_t type) {
    nlh_ = mnl_nlmsg_put_header(buf_);
    nlh_->nlmsg_type = RTM_NEWROUTE;
    rtm_ = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh_, sizeof(rtmsg)));
    rtm_->rtm_family = static_cast<uint8_t>(af);
    rtm_->rtm_dst_len = dst_len;
    rtm_->rtm_table = table;
    rtm_->rtm_type = type;
  }
  Message& Addr(uint16_t type, int af, const char* text) {
    uint8_t a[16];
    EXPECT_EQ(inet_pton(af, text, a), 1);
    mnl_attr_put(nlh_, type, af == AF_INET6 ? 16 : 4, a);
    return *this;
  }
  Message& U32(uint16_t type, uint32_t v) {
    mnl_attr_put_u32(nlh_, type, v);
    return *this;
  }
  // RTA_MULTIPATH with one nexthop per (ifindex, gateway).
  Message& Multipath(int af, const std::vector<std::pair<int, const char*>>& hops) {
    nlattr* nest = mnl_attr_nest_start(nlh_, RTA_MULTIPATH);
    for (const auto& [ifindex, gw] : hops) {
      auto* nh = static_cast<rtnexthop*>(mnl_nlmsg_get_payload_tail(nlh_));
      nlh_->nlmsg_len += MNL_ALIGN(sizeof(rtnexthop));
      *nh = {};
      nh->rtnh_ifindex = ifindex;
      Addr(RTA_GATEWAY, af, gw);
      nh->rtnh_len = static_cast<unsigned short>(
          static_cast<char*>(mnl_nlmsg_get_payload_tail(nlh_)) - reinterpret_cast<char*>(nh));
    }
    mnl_attr_nest_end(nlh_, nest);
    return *this;
  }
  rtmsg* rtm() { return rtm_; }
  nlmsghdr* nlh() { return nlh_; }

  std::vector<Route> Parse(std::string* error = nullptr) {
    std::vector<Route> out;
    std::string err = ParseRouteMessage(nlh_, nlh_->nlmsg_len, Name, &out);
    if (error)
      *error = err;
    else
      EXPECT_EQ(err, "");
    return out;
  }

 private:
  alignas(nlmsghdr) char buf_[4096] = {};
  nlmsghdr* nlh_;
  rtmsg* rtm_;
};

TEST(RtnetlinkRouteParser, DefaultRouteWithGateway) {
  Message m(AF_INET, 0, RT_TABLE_MAIN, RTN_UNICAST);
  m.Addr(RTA_GATEWAY, AF_INET, "192.0.2.1").U32(RTA_OIF, 2).U32(RTA_TABLE, RT_TABLE_MAIN);
  EXPECT_EQ(m.Parse(), (std::vector<Route>{{"ipv4", "0.0.0.0/0", "192.0.2.1", "eth0"}}));
}

TEST(RtnetlinkRouteParser, OnLinkIpv6Prefix) {
  Message m(AF_INET6, 64, RT_TABLE_MAIN, RTN_UNICAST);
  m.Addr(RTA_DST, AF_INET6, "2001:db8::").U32(RTA_OIF, 3);
  EXPECT_EQ(m.Parse(), (std::vector<Route>{{"ipv6", "2001:db8::/64", "", "eth1"}}));
}

TEST(RtnetlinkRouteParser, OtherTablesClonesAndLocalTypesAreSkipped) {
  Message local(AF_INET6, 128, RT_TABLE_LOCAL, RTN_LOCAL);
  local.Addr(RTA_DST, AF_INET6, "2001:db8::10").U32(RTA_OIF, 2);
  EXPECT_TRUE(local.Parse().empty());
  // A table id above 255 lives in RTA_TABLE; rtm_table then says RT_TABLE_COMPAT.
  Message big(AF_INET, 0, RT_TABLE_COMPAT, RTN_UNICAST);
  big.U32(RTA_TABLE, 1000).U32(RTA_OIF, 2);
  EXPECT_TRUE(big.Parse().empty());
  Message override_table(AF_INET, 0, RT_TABLE_MAIN, RTN_UNICAST);
  override_table.U32(RTA_TABLE, 100).U32(RTA_OIF, 2);
  EXPECT_TRUE(override_table.Parse().empty());
  Message cloned(AF_INET6, 128, RT_TABLE_MAIN, RTN_UNICAST);
  cloned.rtm()->rtm_flags = RTM_F_CLONED;
  cloned.Addr(RTA_DST, AF_INET6, "2001:db8::99").U32(RTA_OIF, 2);
  EXPECT_TRUE(cloned.Parse().empty());
  Message mcast(AF_INET6, 8, RT_TABLE_MAIN, RTN_MULTICAST);
  mcast.Addr(RTA_DST, AF_INET6, "ff00::").U32(RTA_OIF, 2);
  EXPECT_TRUE(mcast.Parse().empty());
}

// Found by tests/fuzz (rtnetlink_route): with nlmsg_len not a multiple of 4 the attribute
// walk went to the aligned length and read a cut RTA_DST past the message. The cut
// attribute is now ignored, as a truncated one always was.
TEST(RtnetlinkRouteParser, UnalignedLengthEndsTheAttributes) {
  Message m(AF_INET, 24, RT_TABLE_MAIN, RTN_UNICAST);
  m.U32(RTA_OIF, 2).Addr(RTA_DST, AF_INET, "198.51.100.0");
  const uint32_t cut = m.nlh()->nlmsg_len - 2;
  std::vector<uint8_t> bytes(reinterpret_cast<const uint8_t*>(m.nlh()),
                             reinterpret_cast<const uint8_t*>(m.nlh()) + cut);
  reinterpret_cast<nlmsghdr*>(bytes.data())->nlmsg_len = cut;
  std::vector<Route> out;
  EXPECT_EQ(ParseRouteMessage(bytes.data(), bytes.size(), Name, &out), "");
  EXPECT_EQ(out, (std::vector<Route>{{"ipv4", "0.0.0.0/24", "", "eth0"}}));
}

TEST(RtnetlinkRouteParser, BlackholeHasNoInterface) {
  Message m(AF_INET, 24, RT_TABLE_MAIN, RTN_BLACKHOLE);
  m.Addr(RTA_DST, AF_INET, "203.0.113.0");
  EXPECT_EQ(m.Parse(), (std::vector<Route>{{"ipv4", "203.0.113.0/24", "", ""}}));
}

TEST(RtnetlinkRouteParser, MultipathGivesOneRoutePerNexthop) {
  Message m(AF_INET6, 0, RT_TABLE_MAIN, RTN_UNICAST);
  m.Multipath(AF_INET6, {{2, "2001:db8::1"}, {3, "2001:db8::2"}});
  EXPECT_EQ(m.Parse(), (std::vector<Route>{{"ipv6", "::/0", "2001:db8::1", "eth0"},
                                           {"ipv6", "::/0", "2001:db8::2", "eth1"}}));
}

TEST(RtnetlinkRouteParser, Ipv4RouteViaIpv6Gateway) {
  Message m(AF_INET, 0, RT_TABLE_MAIN, RTN_UNICAST);
  // struct rtvia ends in a flexible array: build family + address by hand.
  uint8_t via[sizeof(rtvia) + 16] = {};
  reinterpret_cast<rtvia*>(via)->rtvia_family = AF_INET6;
  inet_pton(AF_INET6, "fe80::1", via + sizeof(rtvia));
  mnl_attr_put(m.nlh(), RTA_VIA, sizeof via, via);
  m.U32(RTA_OIF, 2);
  EXPECT_EQ(m.Parse(), (std::vector<Route>{{"ipv4", "0.0.0.0/0", "fe80::1", "eth0"}}));
}

TEST(RtnetlinkRouteParser, MalformedMessages) {
  std::string error;
  Message short_dst(AF_INET, 24, RT_TABLE_MAIN, RTN_UNICAST);
  mnl_attr_put_u16(short_dst.nlh(), RTA_DST, 7);  // 2 bytes for an IPv4 address
  EXPECT_TRUE(short_dst.Parse(&error).empty());
  EXPECT_NE(error, "");

  Message bad_len(AF_INET, 33, RT_TABLE_MAIN, RTN_UNICAST);
  EXPECT_TRUE(bad_len.Parse(&error).empty());
  EXPECT_NE(error, "");

  Message truncated(AF_INET, 0, RT_TABLE_MAIN, RTN_UNICAST);
  truncated.U32(RTA_OIF, 2);
  std::vector<Route> out;
  EXPECT_NE(ParseRouteMessage(truncated.nlh(), 10, Name, &out), "");
  // nlmsg_len claims more than the buffer holds.
  EXPECT_NE(ParseRouteMessage(truncated.nlh(), truncated.nlh()->nlmsg_len - 4, Name, &out), "");
  EXPECT_TRUE(out.empty());

  Message bad_mp(AF_INET6, 0, RT_TABLE_MAIN, RTN_UNICAST);
  bad_mp.Multipath(AF_INET6, {{2, "2001:db8::1"}});
  // Corrupt the nexthop length so it overruns the attribute.
  auto* nest = static_cast<nlattr*>(mnl_nlmsg_get_payload_offset(bad_mp.nlh(), sizeof(rtmsg)));
  static_cast<rtnexthop*>(mnl_attr_get_payload(nest))->rtnh_len = 200;
  EXPECT_TRUE(bad_mp.Parse(&error).empty());
  EXPECT_NE(error, "");
}

// The live dump in this process's namespace: it must work, and every IPv4 route the
// kernel prints in /proc/net/route (main table, first nexthop only) must be in it.
TEST(RtnetlinkDump, LiveIpv4AgreesWithProcRoute) {
  RouteResult dumped;
  ASSERT_EQ(DumpMainRoutes(&dumped), "");
  EXPECT_TRUE(dumped.errors.empty());
  std::string text;
  ASSERT_EQ(procfs::ReadFile("/proc/net/route", &text), 0);
  for (const Route& r : ParseProcRoute(text).routes) {
    EXPECT_NE(std::find(dumped.routes.begin(), dumped.routes.end(), r), dumped.routes.end())
        << r.destination << " via " << r.gateway << " dev " << r.interface;
  }
}

}  // namespace
}  // namespace netstat::routes
