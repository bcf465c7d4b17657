#include "collectors/interfaces/interfaces_collector.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/unit/collector_output.h"

namespace netstat::interfaces {
namespace {

using testing::HasLine;

testing::CollectorOutput RunCollector(const std::string& procfs, const std::string& sysfs,
                                      const config::Config& config = config::Config()) {
  procfs::Root root(procfs, sysfs);
  auto collector = MakeInterfacesCollector({root, config});
  return testing::CollectAsText(*collector);
}

const std::string kProc = std::string(NETSTAT_FIXTURES) + "/proc";
const std::string kSys = std::string(NETSTAT_FIXTURES) + "/sys";

TEST(InterfacesCollector, PublishesFixture) {
  auto out = RunCollector(kProc, kSys);
  EXPECT_EQ(out.error, "");
  const std::string& t = out.text;
  EXPECT_TRUE(HasLine(t, "# TYPE netstat_interface_receive_bytes_total counter")) << t;
  EXPECT_TRUE(HasLine(t, "netstat_interface_receive_bytes_total{interface=\"eth0\"} 8145239916"))
      << t;
  EXPECT_TRUE(HasLine(t, "netstat_interface_receive_multicast_total{interface=\"eth0\"} 11532"));
  EXPECT_TRUE(HasLine(t, "netstat_interface_transmit_dropped_total{interface=\"docker0\"} 3"));
  EXPECT_TRUE(HasLine(t, "netstat_interface_transmit_carrier_errors_total{interface=\"lo\"} 0"));
  EXPECT_TRUE(HasLine(t,
                      "netstat_interface_info{interface=\"eth0\",address=\"52:54:00:1a:2b:3c\","
                      "operstate=\"up\"} 1"));
  EXPECT_TRUE(HasLine(t, "netstat_interface_up{interface=\"lo\"} 1"));
  EXPECT_TRUE(HasLine(t, "netstat_interface_up{interface=\"eth0\"} 1"));
  EXPECT_TRUE(HasLine(t, "netstat_interface_up{interface=\"docker0\"} 0"));
  EXPECT_TRUE(HasLine(t, "netstat_interface_mtu_bytes{interface=\"lo\"} 65536"));
  EXPECT_TRUE(HasLine(t, "netstat_interface_speed_bytes{interface=\"eth0\"} 125000000"));
  EXPECT_TRUE(HasLine(t, "netstat_interface_speed_bytes{interface=\"vethd5e6f70\"} 1250000000"));
  // No speed series when the kernel does not know it.
  EXPECT_EQ(t.find("netstat_interface_speed_bytes{interface=\"lo\"}"), std::string::npos);
  EXPECT_EQ(t.find("netstat_interface_speed_bytes{interface=\"docker0\"}"), std::string::npos);
  // tun0 vanished from sysfs after /proc/net/dev was read: skipped quietly.
  EXPECT_EQ(t.find("tun0"), std::string::npos);
}

TEST(InterfacesCollector, ExcludeFilter) {
  config::Config config;
  config.interfaces.filter.exclude =
      config::Pattern::Compile("^(veth|cali|flannel|cni|docker|br-).*");
  auto out = RunCollector(kProc, kSys, config);
  EXPECT_EQ(out.error, "");
  EXPECT_NE(out.text.find("interface=\"eth0\""), std::string::npos);
  EXPECT_EQ(out.text.find("veth"), std::string::npos);
  EXPECT_EQ(out.text.find("docker0"), std::string::npos);

  config.interfaces.filter.include = config::Pattern::Compile("^lo$");
  config.interfaces.filter.exclude = config::Pattern::Compile("^$");
  out = RunCollector(kProc, kSys, config);
  EXPECT_EQ(out.text.find("eth0"), std::string::npos);
  EXPECT_TRUE(HasLine(out.text, "netstat_interface_up{interface=\"lo\"} 1"));
}

TEST(InterfacesCollector, WithoutSysfsCountersStayAndErrorSaysWhy) {
  auto out = RunCollector(kProc, "/nonexistent-sysfs");
  EXPECT_NE(out.error.find("class/net"), std::string::npos) << out.error;
  EXPECT_TRUE(
      HasLine(out.text, "netstat_interface_receive_packets_total{interface=\"eth0\"} 6032841"));
  EXPECT_EQ(out.text.find("netstat_interface_up"), std::string::npos);
}

TEST(InterfacesCollector, MissingAndMalformedNetDev) {
  auto missing = RunCollector("/nonexistent-procfs", kSys);
  EXPECT_NE(missing.error.find("net/dev"), std::string::npos);
  EXPECT_EQ(missing.text, "");

  auto dir = std::filesystem::temp_directory_path() /
             ("netstat_ifaces_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "net");
  std::ofstream(dir / "net" / "dev") << "Inter-| Receive | Transmit\n face |bytes|bytes\n"
                                     << "  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
                                     << "  lo: 1 2 garbage\n";
  auto bad = RunCollector(dir.string(), kSys);
  EXPECT_NE(bad.error.find((dir / "net" / "dev").string() + ": line 4"), std::string::npos)
      << bad.error;
  EXPECT_TRUE(HasLine(bad.text, "netstat_interface_receive_bytes_total{interface=\"eth0\"} 1"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace netstat::interfaces
