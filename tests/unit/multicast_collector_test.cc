#include "collectors/multicast/multicast_collector.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/collector_output.h"

namespace netstat::multicast {
namespace {

using testing::HasLine;

testing::CollectorOutput RunCollector(const std::string& procfs,
                                      const config::Config& config = config::Config()) {
  procfs::Root root(procfs, "/sys");
  auto collector = MakeMulticastCollector({root, config});
  return testing::CollectAsText(*collector);
}

const std::string kProc = std::string(NETSTAT_FIXTURES) + "/proc";

TEST(MulticastCollector, CountsPerFamilyAndInterface) {
  auto out = RunCollector(kProc);
  EXPECT_EQ(out.error, "");
  EXPECT_TRUE(HasLine(out.text, "netstat_multicast_groups{family=\"ipv4\",interface=\"eth0\"} 2"))
      << out.text;
  EXPECT_TRUE(HasLine(out.text, "netstat_multicast_groups{family=\"ipv4\",interface=\"lo\"} 1"));
  EXPECT_TRUE(HasLine(out.text, "netstat_multicast_groups{family=\"ipv6\",interface=\"eth0\"} 4"));
  EXPECT_TRUE(
      HasLine(out.text, "netstat_multicast_groups{family=\"ipv6\",interface=\"vethd5e6f70\"} 2"));
  EXPECT_EQ(out.text.find("netstat_multicast_group_info"), std::string::npos);
}

TEST(MulticastCollector, GroupLabelsWhenConfigured) {
  config::Config config;
  config.multicast.group_labels = true;
  auto out = RunCollector(kProc, config);
  EXPECT_TRUE(HasLine(out.text,
                      "netstat_multicast_group_info{family=\"ipv4\",interface=\"eth0\","
                      "group=\"224.0.0.251\"} 1"));
  EXPECT_TRUE(HasLine(out.text,
                      "netstat_multicast_group_info{family=\"ipv6\",interface=\"eth0\","
                      "group=\"ff02::1:ff00:10\"} 1"));
}

TEST(MulticastCollector, MissingFilesMeanNoFamily) {
  auto out = RunCollector("/nonexistent-procfs");
  EXPECT_EQ(out.error, "");
  EXPECT_EQ(out.text, "");
}

}  // namespace
}  // namespace netstat::multicast
