#include "collectors/multicast/multicast_collector.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <string>

namespace netstat::multicast {
namespace {

struct Output {
  std::string error;
  std::string text;
};

Output RunCollector(const std::string& procfs, const config::Config& config = config::Config()) {
  procfs::Root root(procfs, "/sys");
  auto collector = MakeMulticastCollector({root, config});
  std::vector<prometheus::MetricFamily> families;
  Output out;
  out.error = collector->Collect(&families);
  out.text = prometheus::TextSerializer().Serialize(families);
  return out;
}

const std::string kProc = std::string(NETSTAT_FIXTURES) + "/proc";

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(MulticastCollector, CountsPerFamilyAndInterface) {
  Output out = RunCollector(kProc);
  EXPECT_EQ(out.error, "");
  EXPECT_TRUE(Has(out.text, "netstat_multicast_groups{family=\"ipv4\",interface=\"eth0\"} 2"))
      << out.text;
  EXPECT_TRUE(Has(out.text, "netstat_multicast_groups{family=\"ipv4\",interface=\"lo\"} 1"));
  EXPECT_TRUE(Has(out.text, "netstat_multicast_groups{family=\"ipv6\",interface=\"eth0\"} 4"));
  EXPECT_TRUE(
      Has(out.text, "netstat_multicast_groups{family=\"ipv6\",interface=\"vethd5e6f70\"} 2"));
  EXPECT_EQ(out.text.find("netstat_multicast_group_info"), std::string::npos);
}

TEST(MulticastCollector, GroupLabelsWhenConfigured) {
  config::Config config;
  config.multicast.group_labels = true;
  Output out = RunCollector(kProc, config);
  EXPECT_TRUE(Has(out.text,
                  "netstat_multicast_group_info{family=\"ipv4\",interface=\"eth0\","
                  "group=\"224.0.0.251\"} 1"));
  EXPECT_TRUE(Has(out.text,
                  "netstat_multicast_group_info{family=\"ipv6\",interface=\"eth0\","
                  "group=\"ff02::1:ff00:10\"} 1"));
}

TEST(MulticastCollector, MissingFilesMeanNoFamily) {
  Output out = RunCollector("/nonexistent-procfs");
  EXPECT_EQ(out.error, "");
  EXPECT_EQ(out.text, "");
}

}  // namespace
}  // namespace netstat::multicast
