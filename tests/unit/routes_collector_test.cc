#include "collectors/routes/routes_collector.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/unit/collector_output.h"

namespace netstat::routes {
namespace {

using testing::HasLine;

const std::string kProc = std::string(NETSTAT_FIXTURES) + "/proc";

testing::CollectorOutput RunCollector(const std::string& procfs,
                                      const config::Config& config = config::Config()) {
  procfs::Root root(procfs, "/sys");
  auto collector = MakeRoutesCollector({root, config});
  return testing::CollectAsText(*collector);
}

size_t Count(const std::string& text, const std::string& prefix) {
  size_t n = 0;
  for (size_t pos = text.find(prefix); pos != std::string::npos; pos = text.find(prefix, pos + 1)) {
    ++n;
  }
  return n;
}

TEST(RoutesCollector, CountsAndDefaultRoutes) {
  auto out = RunCollector(kProc);
  EXPECT_EQ(out.error, "");
  const std::string& t = out.text;
  EXPECT_TRUE(HasLine(t, "netstat_routes{family=\"ipv4\",interface=\"eth0\"} 3")) << t;
  EXPECT_TRUE(HasLine(t, "netstat_routes{family=\"ipv4\",interface=\"docker0\"} 1"));
  EXPECT_TRUE(HasLine(t, "netstat_routes{family=\"ipv4\",interface=\"\"} 1"));
  EXPECT_TRUE(HasLine(t, "netstat_routes{family=\"ipv6\",interface=\"eth0\"} 4"));
  EXPECT_TRUE(HasLine(t, "netstat_routes{family=\"ipv6\",interface=\"docker0\"} 1"));
  EXPECT_TRUE(HasLine(t,
                      "netstat_route_info{family=\"ipv4\",destination=\"0.0.0.0/0\","
                      "gateway=\"192.0.2.1\",interface=\"eth0\"} 1"));
  EXPECT_TRUE(HasLine(t,
                      "netstat_route_info{family=\"ipv6\",destination=\"::/0\","
                      "gateway=\"2001:db8::1\",interface=\"eth0\"} 1"));
  EXPECT_EQ(Count(t, "netstat_route_info{"), 2u);
  EXPECT_TRUE(HasLine(t, "netstat_route_info_dropped 0"));
}

TEST(RoutesCollector, AllRoutesAndCap) {
  config::Config config;
  config.routes.all = true;
  auto out = RunCollector(kProc, config);
  EXPECT_EQ(Count(out.text, "netstat_route_info{"), 10u);
  EXPECT_TRUE(HasLine(out.text,
                      "netstat_route_info{family=\"ipv4\",destination=\"203.0.113.0/24\","
                      "gateway=\"\",interface=\"\"} 1"));
  EXPECT_TRUE(HasLine(out.text,
                      "netstat_route_info{family=\"ipv6\",destination=\"fe80::/64\","
                      "gateway=\"\",interface=\"docker0\"} 1"));

  config.routes.max = 3;
  out = RunCollector(kProc, config);
  EXPECT_EQ(Count(out.text, "netstat_route_info{"), 3u);
  EXPECT_TRUE(HasLine(out.text, "netstat_route_info_dropped 7"));
  // Default routes come first, so the cap keeps them.
  EXPECT_NE(out.text.find("destination=\"0.0.0.0/0\""), std::string::npos);
  EXPECT_NE(out.text.find("destination=\"::/0\""), std::string::npos);
}

class RoutesCollectorFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("netstat_routes_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "net");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const char* name, const std::string& text) {
    std::ofstream(dir_ / "net" / name) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(RoutesCollectorFiles, MissingIpv6IsFineMissingIpv4IsNot) {
  Write("route",
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n"
        "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");
  auto out = RunCollector(dir_.string());
  EXPECT_EQ(out.error, "");
  EXPECT_TRUE(HasLine(out.text, "netstat_routes{family=\"ipv4\",interface=\"eth0\"} 1"));
  std::filesystem::remove(dir_ / "net" / "route");
  out = RunCollector(dir_.string());
  EXPECT_NE(out.error.find("net/route"), std::string::npos);
}

TEST_F(RoutesCollectorFiles, MalformedLineNamesFileAndLine) {
  Write("route",
        "Iface\tDestination\n"
        "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
        "eth0\tnot-hex\n");
  Write("ipv6_route", "garbage\n");
  auto out = RunCollector(dir_.string());
  EXPECT_NE(out.error.find((dir_ / "net" / "route").string() + ": line 3"), std::string::npos)
      << out.error;
  EXPECT_NE(out.error.find((dir_ / "net" / "ipv6_route").string() + ": line 1"), std::string::npos)
      << out.error;
  EXPECT_TRUE(HasLine(out.text, "netstat_routes{family=\"ipv4\",interface=\"eth0\"} 1"));
}

}  // namespace
}  // namespace netstat::routes
