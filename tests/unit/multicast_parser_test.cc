#include <gtest/gtest.h>

#include <string>

#include "collectors/multicast/igmp_parser.h"
#include "readers/procfs/root.h"

namespace netstat::multicast {
namespace {

std::string Fixture(const std::string& relative) {
  std::string text;
  EXPECT_EQ(procfs::ReadFile(std::string(NETSTAT_FIXTURES) + "/" + relative, &text), 0);
  return text;
}

TEST(IgmpParser, Ipv4Fixture) {
  MembershipResult r = ParseIgmp(Fixture("proc/net/igmp"));
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  ASSERT_EQ(r.memberships.size(), 5u);
  EXPECT_EQ(r.memberships[0].interface, "lo");
  EXPECT_EQ(r.memberships[0].group, "224.0.0.1");
  EXPECT_EQ(r.memberships[1].interface, "eth0");
  EXPECT_EQ(r.memberships[1].group, "224.0.0.251");
  EXPECT_EQ(r.memberships[1].family, "ipv4");
  // A name of 10+ characters touches the colon.
  EXPECT_EQ(r.memberships[4].interface, "vethd5e6f70");
}

TEST(IgmpParser, Ipv6Fixture) {
  MembershipResult r = ParseIgmp6(Fixture("proc/net/igmp6"));
  EXPECT_TRUE(r.errors.empty());
  ASSERT_EQ(r.memberships.size(), 11u);
  EXPECT_EQ(r.memberships[0].interface, "lo");
  EXPECT_EQ(r.memberships[0].group, "ff02::1");
  EXPECT_EQ(r.memberships[2].group, "ff02::1:ff00:10");
  EXPECT_EQ(r.memberships[2].family, "ipv6");
}

TEST(IgmpParser, MalformedLinesAreSkippedAndNamed) {
  MembershipResult r = ParseIgmp(
      "Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n"
      "\t\t\t\t010000E0     1 0:00000000\t\t0\n"  // group before any device
      "1\tlo        :     1      V3\n"
      "\t\t\t\t010000E0     1 0:00000000\t\t0\n"
      "\t\t\t\tZZ0000E0     1 0:00000000\t\t0\n"    // bad hex
      "x\tbad       :     1      V3\n"              // bad index
      "\t\t\t\t010000E0     1 0:00000000\t\t0\n");  // belongs to the bad device
  ASSERT_EQ(r.memberships.size(), 1u);
  ASSERT_EQ(r.errors.size(), 4u);
  EXPECT_EQ(r.errors[0].rfind("line 2:", 0), 0u) << r.errors[0];
  EXPECT_EQ(r.errors[1].rfind("line 5:", 0), 0u) << r.errors[1];

  MembershipResult r6 = ParseIgmp6(
      "1    lo              ff020000000000000000000000000001     1 0000000C 0\n"
      "2    eth0            ff02\n"
      "3    eth1\n"
      "garbage\n");
  EXPECT_EQ(r6.memberships.size(), 1u);
  EXPECT_EQ(r6.errors.size(), 3u);
}

TEST(IgmpParser, EmptyAndTruncated) {
  EXPECT_TRUE(ParseIgmp("").memberships.empty());
  EXPECT_TRUE(ParseIgmp("").errors.empty());
  EXPECT_TRUE(ParseIgmp6("").errors.empty());
  for (const char* file : {"proc/net/igmp", "proc/net/igmp6"}) {
    std::string text = Fixture(file);
    bool v6 = std::string(file).ends_with("6");
    for (size_t i = 0; i < text.size(); i += 3) {
      std::string_view cut = std::string_view(text).substr(0, i);
      MembershipResult r = v6 ? ParseIgmp6(cut) : ParseIgmp(cut);
      EXPECT_LE(r.errors.size(), 1u);
    }
  }
}

}  // namespace
}  // namespace netstat::multicast
