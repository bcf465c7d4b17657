#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "collectors/interfaces/net_dev_parser.h"
#include "collectors/interfaces/sysfs_attributes.h"
#include "readers/procfs/root.h"

namespace netstat::interfaces {
namespace {

std::string Fixture(const std::string& relative) {
  std::string text;
  EXPECT_EQ(procfs::ReadFile(std::string(NETSTAT_FIXTURES) + "/" + relative, &text), 0);
  return text;
}

TEST(NetDevParser, ParsesFixture) {
  NetDevResult r = ParseNetDev(Fixture("proc/net/dev"));
  EXPECT_TRUE(r.errors.empty());
  ASSERT_EQ(r.interfaces.size(), 5u);
  EXPECT_EQ(r.interfaces[0].name, "lo");
  const NetDevStats& eth0 = r.interfaces[1];
  EXPECT_EQ(eth0.name, "eth0");
  EXPECT_EQ(eth0.receive[kRxBytes], 8145239916u);  // beyond 32 bits
  EXPECT_EQ(eth0.receive[kRxPackets], 6032841u);
  EXPECT_EQ(eth0.receive[kRxDropped], 1542u);
  EXPECT_EQ(eth0.receive[kRxMulticast], 11532u);
  EXPECT_EQ(eth0.transmit[kTxBytes], 392201517u);
  EXPECT_EQ(eth0.transmit[kTxPackets], 2416710u);
  // A name longer than the %6s column touches the colon.
  EXPECT_EQ(r.interfaces[2].name, "docker0");
  EXPECT_EQ(r.interfaces[2].transmit[kTxDropped], 3u);
  EXPECT_EQ(r.interfaces[4].name, "vethd5e6f70");
}

TEST(NetDevParser, OldKernelGluesFirstCounterToColon) {
  // 2.6-era kernels printed "%6s:%8lu", so a large byte count touches the colon.
  NetDevResult r = ParseNetDev(
      "Inter-|   Receive |  Transmit\n"
      " face |bytes    packets|bytes\n"
      "  eth0:1234567890  100 0 0 0 0 0 0 987654321 200 0 0 0 0 0 0\n");
  EXPECT_TRUE(r.errors.empty());
  ASSERT_EQ(r.interfaces.size(), 1u);
  EXPECT_EQ(r.interfaces[0].receive[kRxBytes], 1234567890u);
  EXPECT_EQ(r.interfaces[0].transmit[kTxPackets], 200u);
}

TEST(NetDevParser, MalformedLinesAreSkippedAndNamed) {
  NetDevResult r = ParseNetDev(
      "Inter-|   Receive |  Transmit\n"
      " face |bytes|bytes\n"
      "  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
      "  bad0: 1 2 3\n"                                      // too few
      "  bad1: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 x\n"      // not a number
      "  bad2: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n"  // too many
      "garbage without colon\n"
      "    : 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"      // no name
      "  eth1: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 -1\n");  // negative
  ASSERT_EQ(r.interfaces.size(), 1u);
  EXPECT_EQ(r.interfaces[0].transmit[kTxCompressed], 16u);
  ASSERT_EQ(r.errors.size(), 6u);
  EXPECT_EQ(r.errors[0].rfind("line 4:", 0), 0u) << r.errors[0];
  EXPECT_EQ(r.errors[3].rfind("line 7:", 0), 0u) << r.errors[3];
}

TEST(NetDevParser, EmptyAndTruncated) {
  EXPECT_TRUE(ParseNetDev("").interfaces.empty());
  EXPECT_TRUE(ParseNetDev("").errors.empty());
  std::string text = Fixture("proc/net/dev");
  // Cut in the middle of eth0's line: lo parses, the cut line is reported.
  std::string cut = text.substr(0, text.find("6032841"));
  NetDevResult r = ParseNetDev(cut);
  ASSERT_EQ(r.interfaces.size(), 1u);
  EXPECT_EQ(r.errors.size(), 1u);
  // Every possible truncation parses without crashing.
  for (size_t i = 0; i < text.size(); i += 7) ParseNetDev(std::string_view(text).substr(0, i));
}

TEST(SysfsAttributes, ParseRules) {
  EXPECT_EQ(ParseHexFlags("0x1003\n"), 0x1003u);
  EXPECT_EQ(ParseHexFlags("0x9"), 0x9u);
  EXPECT_FALSE(ParseHexFlags(""));
  EXPECT_FALSE(ParseHexFlags("0xzz"));
  EXPECT_EQ(ParseDecimal("1500\n"), 1500u);
  EXPECT_FALSE(ParseDecimal("15 00"));
  EXPECT_EQ(ParseSpeed("1000\n"), 1000u);
  EXPECT_FALSE(ParseSpeed("-1\n"));
  EXPECT_FALSE(ParseSpeed(""));
}

TEST(SysfsAttributes, UpRule) {
  SysfsAttributes a;
  a.operstate = "up";
  EXPECT_TRUE(IsUp(a));
  a.operstate = "unknown";
  a.flags = 0x9;  // loopback: IFF_UP | IFF_LOOPBACK
  EXPECT_TRUE(IsUp(a));
  a.flags = 0x8;
  EXPECT_FALSE(IsUp(a));
  a.flags.reset();
  EXPECT_FALSE(IsUp(a));
  a.operstate = "down";
  a.flags = 0x1003;  // administratively up, no carrier
  EXPECT_FALSE(IsUp(a));
  a.operstate = "lowerlayerdown";
  EXPECT_FALSE(IsUp(a));
}

TEST(SysfsAttributes, ReadsFixtureTree) {
  const std::string class_net = std::string(NETSTAT_FIXTURES) + "/sys/class/net";
  auto eth0 = ReadSysfsAttributes(class_net, "eth0");
  ASSERT_TRUE(eth0);
  EXPECT_EQ(eth0->address, "52:54:00:1a:2b:3c");
  EXPECT_EQ(eth0->operstate, "up");
  EXPECT_EQ(eth0->mtu, 1500u);
  EXPECT_EQ(eth0->speed_mbps, 1000u);
  auto lo = ReadSysfsAttributes(class_net, "lo");
  ASSERT_TRUE(lo);
  EXPECT_TRUE(IsUp(*lo));
  EXPECT_FALSE(lo->speed_mbps);
  auto docker0 = ReadSysfsAttributes(class_net, "docker0");
  ASSERT_TRUE(docker0);
  EXPECT_FALSE(IsUp(*docker0));
  // tun0 is in the fixture's /proc/net/dev but gone from sysfs.
  EXPECT_FALSE(ReadSysfsAttributes(class_net, "tun0"));
}

TEST(SysfsAttributes, GarbageAttributesAreUnset) {
  auto dir =
      std::filesystem::temp_directory_path() / ("netstat_sysfs_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "x0");
  std::ofstream(dir / "x0" / "operstate") << "up\n";
  std::ofstream(dir / "x0" / "mtu") << "garbage\n";
  std::ofstream(dir / "x0" / "speed") << "-1\n";
  std::ofstream(dir / "x0" / "flags") << "";
  auto a = ReadSysfsAttributes(dir.string(), "x0");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->mtu);
  EXPECT_FALSE(a->speed_mbps);
  EXPECT_FALSE(a->flags);
  EXPECT_EQ(a->address, "");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace netstat::interfaces
