#include <gtest/gtest.h>

#include <string>

#include "collectors/routes/proc_route_parser.h"
#include "readers/procfs/root.h"

namespace netstat::routes {
namespace {

std::string Fixture(const std::string& relative) {
  std::string text;
  EXPECT_EQ(procfs::ReadFile(std::string(NETSTAT_FIXTURES) + "/" + relative, &text), 0);
  return text;
}

TEST(ProcRouteParser, Ipv4Fixture) {
  RouteResult r = ParseProcRoute(Fixture("proc/net/route"));
  EXPECT_TRUE(r.errors.empty());
  std::vector<Route> want = {
      {"ipv4", "0.0.0.0/0", "192.0.2.1", "eth0"},
      {"ipv4", "192.0.2.0/24", "", "eth0"},
      {"ipv4", "198.51.100.0/24", "192.0.2.254", "eth0"},
      {"ipv4", "172.17.0.0/16", "", "docker0"},
      {"ipv4", "203.0.113.0/24", "", ""},  // blackhole: no device ("*")
  };
  EXPECT_EQ(r.routes, want);
  EXPECT_TRUE(r.routes[0].IsDefault());
  EXPECT_FALSE(r.routes[1].IsDefault());
}

TEST(ProcRouteParser, Ipv6FixtureKeepsMainTableOnly) {
  RouteResult r = ParseIpv6Route(Fixture("proc/net/ipv6_route"));
  EXPECT_TRUE(r.errors.empty());
  // Local, anycast, ff00::/8 and the null entry are left out.
  std::vector<Route> want = {
      {"ipv6", "2001:db8::/64", "", "eth0"},   {"ipv6", "2001:db8:1::/48", "2001:db8::1", "eth0"},
      {"ipv6", "fe80::/64", "", "eth0"},       {"ipv6", "fe80::/64", "", "docker0"},
      {"ipv6", "::/0", "2001:db8::1", "eth0"},
  };
  EXPECT_EQ(r.routes, want);
  EXPECT_TRUE(r.routes[4].IsDefault());
}

TEST(ProcRouteParser, Ipv6KeepsLongerMulticastPrefixes) {
  // `ip addr add ff05::1:3/128 dev veth0 autojoin` adds this main-table route.
  RouteResult r = ParseIpv6Route(
      "ff050000000000000000000000010003 80 00000000000000000000000000000000 00 "
      "00000000000000000000000000000000 00000100 00000001 00000000 00000001    veth0\n");
  EXPECT_EQ(r.routes, (std::vector<Route>{{"ipv6", "ff05::1:3/128", "", "veth0"}}));
}

TEST(ProcRouteParser, Ipv6SkipsCacheClones) {
  RouteResult r = ParseIpv6Route(
      "20010db8000200000000000000000001 80 00000000000000000000000000000000 00 "
      "20010db8000000000000000000000001 00000400 00000001 00000000 01000003     eth0\n");
  EXPECT_TRUE(r.errors.empty());
  EXPECT_TRUE(r.routes.empty());
}

TEST(ProcRouteParser, MalformedLinesAreSkippedAndNamed) {
  RouteResult r = ParseProcRoute(
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
      "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
      "eth0\tZZ0200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
      "eth0\t000200C0\n"
      "\n"
      "garbage\n");
  ASSERT_EQ(r.routes.size(), 1u);
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_EQ(r.errors[0].rfind("line 3:", 0), 0u) << r.errors[0];
  EXPECT_EQ(r.errors[1].rfind("line 4:", 0), 0u) << r.errors[1];
  EXPECT_EQ(r.errors[2].rfind("line 6:", 0), 0u) << r.errors[2];

  RouteResult r6 = ParseIpv6Route(
      "20010db8 40 00 00 00 00000100 00000001 00000000 00000001 eth0\n"
      "20010db8000000000000000000000000 81 00000000000000000000000000000000 00 "
      "00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n"
      "only three fields\n");
  EXPECT_TRUE(r6.routes.empty());
  EXPECT_EQ(r6.errors.size(), 3u);  // short address, prefix length 129, too few columns
}

TEST(ProcRouteParser, EmptyAndTruncated) {
  EXPECT_TRUE(ParseProcRoute("").routes.empty());
  EXPECT_TRUE(ParseProcRoute("").errors.empty());
  EXPECT_TRUE(ParseIpv6Route("").errors.empty());
  for (const char* file : {"proc/net/route", "proc/net/ipv6_route"}) {
    std::string text = Fixture(file);
    for (size_t i = 0; i < text.size(); i += 5) {
      std::string_view cut = std::string_view(text).substr(0, i);
      RouteResult r =
          std::string(file).ends_with("ipv6_route") ? ParseIpv6Route(cut) : ParseProcRoute(cut);
      EXPECT_LE(r.errors.size(), 1u);  // only the cut line can be bad
    }
  }
}

}  // namespace
}  // namespace netstat::routes
