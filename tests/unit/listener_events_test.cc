// The pure parts of listener events: kernel record -> facts, the series cap and the
// expected rules, the accepted-connection filter. No BPF needed.
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "collectors/listener_events/accepted_ports.h"
#include "collectors/listener_events/event_decode.h"
#include "collectors/listener_events/event_tally.h"
#include "tests/unit/collector_output.h"

namespace netstat::listener_events {
namespace {

using testing::HasLine;

netstat_listener_event Event(int family, const char* comm) {
  netstat_listener_event e{};
  e.family = static_cast<uint16_t>(family);
  e.port = 8080;
  e.uid = 1000;
  e.opened = 1;
  e.protocol = 6;
  // The kernel's comm: at most 15 bytes and a NUL.
  std::memcpy(e.comm, comm, std::min(std::strlen(comm), sizeof e.comm - 1));
  return e;
}

std::string Text(const std::vector<prometheus::MetricFamily>& families) {
  return prometheus::TextSerializer().Serialize(families);
}

TEST(DecodeEvent, Ipv4AddressAndPort) {
  netstat_listener_event e = Event(AF_INET, "nginx");
  const uint8_t addr[4] = {127, 0, 0, 1};
  std::memcpy(e.address, addr, 4);
  const listeners::ListenerFacts f = DecodeEvent(e, "");
  EXPECT_EQ(f.protocol, "tcp");
  EXPECT_EQ(f.family, "ipv4");
  EXPECT_EQ(f.address, "127.0.0.1");
  EXPECT_EQ(f.port, 8080);
  EXPECT_EQ(f.uid, 1000u);
  EXPECT_EQ(f.process, "nginx");
}

TEST(DecodeEvent, Ipv6WildcardAndLoopback) {
  netstat_listener_event e = Event(AF_INET6, "sshd");
  EXPECT_EQ(DecodeEvent(e, "").address, "::");
  e.address[15] = 1;
  EXPECT_EQ(DecodeEvent(e, "").family, "ipv6");
  EXPECT_EQ(DecodeEvent(e, "").address, "::1");
}

TEST(DecodeEvent, TruncatedCommIsCompletedFromArgv0) {
  netstat_listener_event e = Event(AF_INET, "netstat_e2e_listen_events");
  EXPECT_TRUE(CommMayBeTruncated(e));
  EXPECT_EQ(CommOf(e), "netstat_e2e_lis");
  const std::string cmdline("/usr/bin/netstat_e2e_listen_events\0short\0", 41);
  EXPECT_EQ(DecodeEvent(e, cmdline).process, "netstat_e2e_listen_events");
  // The process is gone (no cmdline): the kernel's 15 bytes are all there is.
  EXPECT_EQ(DecodeEvent(e, "").process, "netstat_e2e_lis");
  // A pid reused by another program: argv[0] does not continue the comm.
  EXPECT_EQ(DecodeEvent(e, std::string("/bin/sleep\0", 11)).process, "netstat_e2e_lis");
}

TEST(DecodeEvent, ShortCommIsWhole) {
  netstat_listener_event e = Event(AF_INET, "sshd");
  EXPECT_FALSE(CommMayBeTruncated(e));
  EXPECT_EQ(DecodeEvent(e, std::string("sshd: listener\0", 15)).process, "sshd");
}

listeners::ListenerFacts Facts(uint16_t port, std::string process, std::string netns = "") {
  return listeners::ListenerFacts{"tcp",  "ipv4", "0.0.0.0",        port, std::move(process),
                                  "root", 0,      std::move(netns), ""};
}

TEST(EventTally, CountsPerLabelSetWithoutRules) {
  EventTally t;
  const TallyPolicy p{10, {}};
  t.Count(p, Facts(80, "nginx"), false);
  t.Count(p, Facts(80, "nginx"), false);
  t.Count(p, Facts(81, "nginx", "pod-a"), false);
  std::vector<prometheus::MetricFamily> out;
  t.Publish(p, &out);
  const std::string text = Text(out);
  EXPECT_TRUE(HasLine(text,
                      "netstat_listener_opened_total{protocol=\"tcp\",family=\"ipv4\",address=\""
                      "0.0.0.0\",port=\"80\",process=\"nginx\",user=\"root\"} 2"))
      << text;
  EXPECT_TRUE(HasLine(text,
                      "netstat_listener_opened_total{protocol=\"tcp\",family=\"ipv4\",address=\""
                      "0.0.0.0\",port=\"81\",process=\"nginx\",user=\"root\",netns=\"pod-a\"} 1"))
      << text;
  // Without rules there is no unexpected family at all.
  EXPECT_EQ(text.find("netstat_listener_unexpected_opened_total"), std::string::npos);
  EXPECT_TRUE(HasLine(text, "netstat_listener_events_series_dropped_total 0"));
}

TEST(EventTally, UnexpectedFollowsTheRulesButNeverTheExporterItself) {
  config::ExpectedRule sshd;
  sshd.port = 22;
  sshd.process = config::Pattern::Compile("sshd");
  EventTally t;
  const TallyPolicy p{10, {sshd}};
  t.Count(p, Facts(22, "sshd"), false);
  t.Count(p, Facts(4444, "nc"), false);
  t.Count(p, Facts(10099, "netstat_exporter"), true);
  std::vector<prometheus::MetricFamily> out;
  t.Publish(p, &out);
  const std::string text = Text(out);
  EXPECT_TRUE(HasLine(text,
                      "netstat_listener_unexpected_opened_total{protocol=\"tcp\",family=\"ipv4\","
                      "address=\"0.0.0.0\",port=\"4444\",process=\"nc\",user=\"root\"} 1"))
      << text;
  EXPECT_EQ(text.find("netstat_listener_unexpected_opened_total{protocol=\"tcp\",family=\"ipv4\","
                      "address=\"0.0.0.0\",port=\"22\""),
            std::string::npos);
  EXPECT_EQ(text.find("unexpected_opened_total{protocol=\"tcp\",family=\"ipv4\",address=\"0.0.0."
                      "0\",port=\"10099\""),
            std::string::npos);
}

TEST(EventTally, CapsDistinctSeriesAndCountsTheRest) {
  EventTally t;
  const TallyPolicy p{2, {}};
  t.Count(p, Facts(1, "a"), false);
  t.Count(p, Facts(2, "a"), false);
  t.Count(p, Facts(3, "a"), false);  // a third series: dropped
  t.Count(p, Facts(3, "a"), false);
  t.Count(p, Facts(1, "a"), false);  // an existing series still counts
  EXPECT_EQ(t.series(), 2u);
  EXPECT_EQ(t.dropped(), 2u);
  std::vector<prometheus::MetricFamily> out;
  t.Publish(p, &out);
  const std::string text = Text(out);
  EXPECT_TRUE(HasLine(text, "netstat_listener_events_series_dropped_total 2")) << text;
  EXPECT_NE(text.find("port=\"1\",process=\"a\",user=\"root\"} 2"), std::string::npos) << text;
}

// A reload hands the tally to a collector with another policy: the counts stay, the new
// rules and cap apply to what is counted from then on.
TEST(EventTally, ANewPolicyKeepsTheCountsAndAppliesToNewEvents) {
  config::ExpectedRule ssh;
  ssh.port = 22;
  config::ExpectedRule nc = ssh;
  nc.port = 4444;
  EventTally t;
  const TallyPolicy before{10, {ssh}};
  t.Count(before, Facts(4444, "nc"), false);
  t.Count(before, Facts(4444, "nc"), false);
  const TallyPolicy after{1, {ssh, nc}};
  t.Count(after, Facts(4444, "nc"), false);  // an existing series, now expected
  t.Count(after, Facts(8080, "nc"), false);  // a new one beyond max_series 1
  std::vector<prometheus::MetricFamily> out;
  t.Publish(after, &out);
  const std::string text = Text(out);
  const std::string labels =
      "{protocol=\"tcp\",family=\"ipv4\",address=\"0.0.0.0\",port=\"4444\",process=\"nc\","
      "user=\"root\"}";
  EXPECT_TRUE(HasLine(text, "netstat_listener_opened_total" + labels + " 3")) << text;
  EXPECT_TRUE(HasLine(text, "netstat_listener_unexpected_opened_total" + labels + " 2")) << text;
  EXPECT_TRUE(HasLine(text, "netstat_listener_events_series_dropped_total 1")) << text;
}

TEST(ListeningPorts, PublishesOnlyPortsWithAListener) {
  ListeningPorts ports;
  ports.Add(100, "", 80);
  ports.Add(200, "pod-a", 8080);
  std::vector<prometheus::MetricFamily> out;
  ports.Publish({{100, 80, 7}, {100, 81, 3}, {200, 8080, 5}, {100, 8080, 9}}, &out);
  const std::string text = Text(out);
  EXPECT_TRUE(
      HasLine(text, "netstat_port_accepted_connections_total{protocol=\"tcp\",port=\"80\"} 7"))
      << text;
  EXPECT_TRUE(HasLine(
      text,
      "netstat_port_accepted_connections_total{protocol=\"tcp\",port=\"8080\",netns=\"pod-a\"} 5"))
      << text;
  EXPECT_EQ(text.find("port=\"81\""), std::string::npos);
  EXPECT_EQ(text.find("} 9"), std::string::npos);  // 8080 of the own namespace has none
}

}  // namespace
}  // namespace netstat::listener_events
