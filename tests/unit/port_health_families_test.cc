// The tcp_health families from per-port values, without BPF: names by side, port "other",
// cumulative buckets ending in +Inf, netns labels, and namespaces left out.
#include "collectors/tcp_health/port_health_families.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace netstat::tcp_health {
namespace {

using prometheus::MetricFamily;

const MetricFamily* Find(const std::vector<MetricFamily>& out, const std::string& name) {
  for (const MetricFamily& f : out) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string Label(const prometheus::ClientMetric& m, const std::string& name) {
  for (const auto& l : m.label) {
    if (l.name == name) return l.value;
  }
  return "<none>";
}

PortValue Value(uint64_t netns, uint16_t port, uint8_t side) {
  PortValue v{};
  v.key.netns = netns;
  v.key.port = port;
  v.key.side = side;
  return v;
}

TEST(PortHealthFamilies, ServerAndClientSides) {
  PortValue server = Value(1, 443, NETSTAT_TH_SERVER);
  server.value.retransmits = 7;
  server.value.duration.buckets[0] = 2;
  server.value.duration.buckets[3] = 1;
  server.value.duration.buckets[NETSTAT_TH_BOUNDS] = 4;  // above every bound
  server.value.duration.sum_ns = 2500000000;
  PortValue client = Value(1, NETSTAT_TH_OTHER_PORT, NETSTAT_TH_CLIENT);
  client.value.failed_refused = 3;
  client.value.connect.buckets[6] = 1;
  std::vector<MetricFamily> out;
  PublishPortHealth({client, server}, 1, {}, &out);

  const MetricFamily* retrans = Find(out, "netstat_port_retransmits_total");
  ASSERT_NE(retrans, nullptr);
  ASSERT_EQ(retrans->metric.size(), 1u);
  EXPECT_EQ(retrans->type, prometheus::MetricType::Counter);
  EXPECT_EQ(retrans->metric[0].counter.value, 7);
  EXPECT_EQ(Label(retrans->metric[0], "port"), "443");
  EXPECT_EQ(Label(retrans->metric[0], "protocol"), "tcp");
  EXPECT_EQ(Label(retrans->metric[0], "netns"), "<none>");  // the own namespace

  const MetricFamily* duration = Find(out, "netstat_port_connection_duration_seconds");
  ASSERT_NE(duration, nullptr);
  EXPECT_EQ(duration->type, prometheus::MetricType::Histogram);
  const auto& h = duration->metric[0].histogram;
  ASSERT_EQ(h.bucket.size(), static_cast<size_t>(NETSTAT_TH_BUCKETS));
  EXPECT_EQ(h.bucket[0].cumulative_count, 2u);
  EXPECT_EQ(h.bucket[2].cumulative_count, 2u);
  EXPECT_EQ(h.bucket[3].cumulative_count, 3u);
  EXPECT_EQ(h.bucket[3].upper_bound, 1.0);
  EXPECT_TRUE(std::isinf(h.bucket.back().upper_bound));
  EXPECT_EQ(h.bucket.back().cumulative_count, 7u);
  EXPECT_EQ(h.sample_count, 7u);
  EXPECT_DOUBLE_EQ(h.sample_sum, 2.5);
  // The server side has no connect histogram and no failed connects; a histogram
  // without observations (the RTT here) is not there yet.
  EXPECT_EQ(Find(out, "netstat_port_connect_seconds"), nullptr);
  EXPECT_EQ(Find(out, "netstat_port_rtt_seconds"), nullptr);
  EXPECT_EQ(Find(out, "netstat_port_failed_connects_total"), nullptr);

  const MetricFamily* connect = Find(out, "netstat_remote_port_connect_seconds");
  ASSERT_NE(connect, nullptr);
  EXPECT_EQ(Label(connect->metric[0], "port"), "other");
  EXPECT_EQ(connect->metric[0].histogram.bucket[5].cumulative_count, 0u);
  EXPECT_EQ(connect->metric[0].histogram.bucket[6].cumulative_count, 1u);
  EXPECT_DOUBLE_EQ(connect->metric[0].histogram.bucket[6].upper_bound, 1.5);
  const MetricFamily* failed = Find(out, "netstat_remote_port_failed_connects_total");
  ASSERT_NE(failed, nullptr);
  ASSERT_EQ(failed->metric.size(), 1u);  // only the reasons that happened
  EXPECT_EQ(Label(failed->metric[0], "reason"), "refused");
  EXPECT_EQ(failed->metric[0].counter.value, 3);
}

TEST(PortHealthFamilies, ForeignNamespacesByLabelOnly) {
  std::vector<MetricFamily> out;
  PublishPortHealth({Value(2, 80, NETSTAT_TH_SERVER), Value(3, 81, NETSTAT_TH_SERVER)}, 1,
                    {{2, "pod-a"}}, &out);
  const MetricFamily* retrans = Find(out, "netstat_port_retransmits_total");
  ASSERT_NE(retrans, nullptr);
  ASSERT_EQ(retrans->metric.size(), 1u);  // namespace 3 was not read: left out
  EXPECT_EQ(Label(retrans->metric[0], "netns"), "pod-a");
  EXPECT_EQ(Label(retrans->metric[0], "port"), "80");
}

TEST(PortHealthFamilies, NothingWithoutKeys) {
  std::vector<MetricFamily> out;
  PublishPortHealth({}, 1, {}, &out);
  EXPECT_TRUE(out.empty());
}

TEST(PortHealthFamilies, UdpDropsByPort) {
  std::vector<MetricFamily> out;
  PublishUdpDrops({{1, 53, 7}, {2, 514, 3}, {9, 5353, 1}}, 1, {{2, "pod-a"}}, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "netstat_port_udp_receive_buffer_drops_total");
  EXPECT_EQ(out[0].type, prometheus::MetricType::Counter);
  ASSERT_EQ(out[0].metric.size(), 2u);  // namespace 9 was not read
  EXPECT_EQ(Label(out[0].metric[0], "port"), "53");
  EXPECT_EQ(Label(out[0].metric[0], "netns"), "<none>");
  EXPECT_EQ(out[0].metric[0].counter.value, 7);
  EXPECT_EQ(Label(out[0].metric[1], "netns"), "pod-a");
  out.clear();
  PublishUdpDrops({}, 1, {}, &out);
  EXPECT_TRUE(out.empty());
}

TEST(PortHealthFamilies, DropsByPortAndReason) {
  std::vector<MetricFamily> out;
  PublishDrops({{1, 17, 53, "socket_rcvbuff", 5},
                {1, 6, NETSTAT_TH_OTHER_PORT, "no_socket", 2},
                {1, 6, 443, "tcp_dss_something_new", 3},
                {1, 6, 443, "ip_outnoroutes", 4},
                {2, 6, 80, "tcp_csum", 1}},
               1, {}, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "netstat_port_drops_total");
  ASSERT_EQ(out[0].metric.size(), 3u);  // namespace 2 unnamed; 443's two reasons are "other"
  const auto& m = out[0].metric;
  EXPECT_EQ(Label(m[0], "protocol"), "tcp");
  EXPECT_EQ(Label(m[0], "port"), "other");
  EXPECT_EQ(Label(m[0], "reason"), "no_socket");
  EXPECT_EQ(Label(m[1], "port"), "443");
  EXPECT_EQ(Label(m[1], "reason"), "other");
  EXPECT_EQ(m[1].counter.value, 7);
  EXPECT_EQ(Label(m[2], "protocol"), "udp");
  EXPECT_EQ(Label(m[2], "reason"), "socket_rcvbuff");
}

TEST(PortHealthFamilies, BoundsAreSeconds) {
  EXPECT_EQ(DurationBounds().size(), static_cast<size_t>(NETSTAT_TH_BOUNDS));
  EXPECT_DOUBLE_EQ(RttBounds().front(), 0.0001);
  EXPECT_DOUBLE_EQ(ConnectBounds()[2], 0.01);
  EXPECT_DOUBLE_EQ(ConnectBounds()[4], 0.1);
}

}  // namespace
}  // namespace netstat::tcp_health
