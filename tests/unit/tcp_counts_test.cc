// TCP counted in the kernel (sockets.source bpf|auto): the pure parts (decoding the
// program's memory, the sockstat count, the auto decision) and the reading's aggregate
// path with a fake counter. The real programs: tcp_kernel_counter_test.cc.
#include "readers/tcp_iter/tcp_counts.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "collectors/sockets/sockets_collector.h"
#include "readers/socket_reading/host_pass.h"
#include "readers/socket_reading/socket_reading.h"
#include "readers/tcp_iter/host_counts.h"
#include "tests/unit/collector_output.h"

namespace netstat::tcp_iter {
namespace {

namespace st = socket_table;

TEST(TcpCounts, DecodeTakesTotalsAndTheTrackedPortsBySlot) {
  uint64_t sockets[2][kStates] = {}, rq[2][kStates] = {}, wq[2][kStates] = {};
  sockets[0][st::kEstablished] = 5;
  sockets[1][st::kTimeWait] = 2;
  rq[0][st::kEstablished] = 150;
  wq[1][st::kCloseWait] = 7;
  static uint64_t ports[kMaxSlots][kStates] = {};
  const PortSlots slots({443, 80, 443}, {5432});  // sorted, distinct: 80 -> 1, 443 -> 2
  ASSERT_EQ(slots.local, (std::vector<uint16_t>{80, 443}));
  EXPECT_EQ(slots.RemoteSlot(0), 3u);
  ports[1][st::kEstablished] = 3;
  ports[2][st::kFinWait2] = 1;
  ports[3][st::kCloseWait] = 4;
  static netstat_tcp_port_rtt rtt[kMaxSlots] = {};
  rtt[1] = {300, 200, 2};
  const TcpCounts c = Decode({sockets, rq, wq}, ports, slots, rtt);
  EXPECT_EQ(c.family[0].sockets[st::kEstablished], 5u);
  EXPECT_EQ(c.family[1].sockets[st::kTimeWait], 2u);
  EXPECT_EQ(c.family[0].receive_queue[st::kEstablished], 150u);
  EXPECT_EQ(c.family[1].send_queue[st::kCloseWait], 7u);
  ASSERT_EQ(c.local_ports.size(), 2u);
  EXPECT_EQ(c.local_ports[0].port, 80);
  EXPECT_EQ(c.local_ports[0].sockets[st::kEstablished], 3u);
  EXPECT_EQ(c.local_ports[1].sockets[st::kFinWait2], 1u);
  EXPECT_EQ(c.local_ports[0].rtt.sum_us, 300u);
  EXPECT_EQ(c.local_ports[0].rtt.max_us, 200u);
  EXPECT_EQ(c.local_ports[0].rtt.sockets, 2u);
  EXPECT_EQ(c.local_ports[1].rtt.sockets, 0u);
  ASSERT_EQ(c.remote_ports.size(), 1u);
  EXPECT_EQ(c.remote_ports[0].sockets[st::kCloseWait], 4u);
}

TEST(TcpCounts, TooManyPortsDoNotFit) {
  std::vector<uint16_t> many;
  for (uint16_t p = 1; p <= kMaxSlots; ++p) many.push_back(p);  // one more than the slots
  EXPECT_FALSE(PortSlots(many, {}).Fits());
  many.pop_back();
  EXPECT_TRUE(PortSlots(many, {}).Fits());
}

TEST(TcpCounts, SocketsInUseFromSockstat) {
  const char* v4 =
      "sockets: used 412\nTCP: inuse 120 orphan 0 tw 30 alloc 130 mem 5\nUDP: inuse 3 mem 1\n";
  EXPECT_EQ(TcpSocketsInUse(v4, "TCP6: inuse 7\nUDP6: inuse 1\n"), 157u);
  EXPECT_EQ(TcpSocketsInUse(v4, ""), 150u);  // no IPv6
  EXPECT_EQ(TcpSocketsInUse("sockets: used 1\n", ""), std::nullopt);
  EXPECT_EQ(TcpSocketsInUse("TCP: inuse x orphan 0 tw 1\n", ""), std::nullopt);
  EXPECT_EQ(TcpSocketsInUse("", ""), std::nullopt);
}

TEST(TcpCounts, AutoUsesTheIteratorFromTheCrossoverOn) {
  EXPECT_FALSE(UseIterator(SourceMode::kNetlink, true, 1000000));
  EXPECT_TRUE(UseIterator(SourceMode::kBpf, true, 10));
  EXPECT_TRUE(UseIterator(SourceMode::kBpf, true, std::nullopt));
  EXPECT_FALSE(UseIterator(SourceMode::kBpf, false, 1000000));  // not loaded
  EXPECT_FALSE(UseIterator(SourceMode::kAuto, true, kAutoCrossover - 1));
  EXPECT_TRUE(UseIterator(SourceMode::kAuto, true, kAutoCrossover));
  EXPECT_FALSE(UseIterator(SourceMode::kAuto, true, std::nullopt));
  EXPECT_FALSE(UseIterator(SourceMode::kAuto, false, kAutoCrossover * 10));
  // Hysteresis: once on the iterator, auto stays there down to 4/5 of the crossover.
  EXPECT_TRUE(UseIterator(SourceMode::kAuto, true, kAutoCrossover - 1, true));
  EXPECT_TRUE(UseIterator(SourceMode::kAuto, true, kAutoCrossover / 5 * 4, true));
  EXPECT_FALSE(UseIterator(SourceMode::kAuto, true, kAutoCrossover / 5 * 4 - 1, true));
  EXPECT_FALSE(UseIterator(SourceMode::kAuto, true, 100, false, 1000));
  EXPECT_TRUE(UseIterator(SourceMode::kAuto, true, 1000, false, 1000));
}

// One listener on :80; the connections come from the fake counter only.
class ListenerTable : public st::SocketTable {
 public:
  st::Source source() const override { return st::Source::kNetlink; }
  st::DumpResult DumpInet(st::Protocol p, st::Family f, uint32_t states,
                          const std::function<void(const st::InetSocket&)>& visit) override {
    if (p == st::Protocol::kTcp && (states & ~st::StateBit(st::kListen))) ++tcp_dumps;
    if (p == st::Protocol::kTcp && f == st::Family::kIpv4 && (states & st::StateBit(st::kListen))) {
      st::InetSocket s{};
      s.protocol = p;
      s.family = f;
      s.state = st::kListen;
      s.local_port = 80;
      visit(s);
    }
    return {};
  }
  st::DumpResult DumpUnix(const std::function<void(const st::UnixSocket&)>&) override { return {}; }
  int tcp_dumps = 0;  // requests for TCP sockets other than listeners
};

class FakeCounter : public TcpCounter {
 public:
  bool Count(const std::vector<uint16_t>& local, const std::vector<uint16_t>& remote,
             TcpCounts* out, std::string* error) override {
    asked_local = local;
    asked_remote = remote;
    if (fail) {
      *error = "boom";
      return false;
    }
    out->family[1].sockets[st::kEstablished] = 4;
    out->family[1].receive_queue[st::kEstablished] = 10;
    out->family[0].sockets[st::kFinWait2] = 1;
    PortStates p;
    p.port = 80;
    p.sockets[st::kEstablished] = 3;
    p.rtt.Add(100);
    p.rtt.Add(250);
    p.rtt.Add(50);
    out->local_ports.push_back(p);
    p.rtt = {};
    p.port = 5432;
    out->remote_ports.push_back(p);
    return true;
  }
  std::vector<uint16_t> asked_local, asked_remote;
  bool fail = false;
};

TEST(TcpCounts, TheSocketsCollectorPublishesKernelCounts) {
  auto table = std::make_unique<ListenerTable>();
  ListenerTable* t = table.get();
  auto counter = std::make_shared<FakeCounter>();
  socket_reading::SocketReading reading(std::move(table), counter);
  auto collector = sockets::MakeSocketsCollector(procfs::Root("/nonexistent", ""), {5432});
  std::vector<prometheus::MetricFamily> families;
  testing::ReadAndCollect(reading, *collector, &families);
  const std::string text = prometheus::TextSerializer().Serialize(families);
  EXPECT_EQ(t->tcp_dumps, 0);  // no netlink dump of connections
  EXPECT_EQ(counter->asked_local, (std::vector<uint16_t>{80}));
  EXPECT_EQ(counter->asked_remote, (std::vector<uint16_t>{5432}));
  using netstat::testing::HasLine;
  EXPECT_TRUE(
      HasLine(text, R"(netstat_sockets{protocol="tcp",family="ipv6",state="established"} 4)"));
  EXPECT_TRUE(
      HasLine(text, R"(netstat_sockets{protocol="tcp",family="ipv4",state="fin_wait2"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(netstat_sockets{protocol="tcp",family="ipv4",state="listen"} 1)"));
  EXPECT_TRUE(HasLine(
      text,
      R"(netstat_socket_receive_queue_bytes{protocol="tcp",family="ipv6",state="established"} 10)"));
  EXPECT_TRUE(
      HasLine(text, R"(netstat_port_connections{protocol="tcp",port="80",state="established"} 3)"));
  EXPECT_TRUE(HasLine(
      text,
      R"(netstat_remote_port_connections{protocol="tcp",port="5432",state="established"} 3)"));
  EXPECT_TRUE(HasLine(text, R"(netstat_sockets_source_info{source="bpf"} 1)")) << text;
  // The live RTTs of port 80's three connections; port 5432's have none, so no series.
  EXPECT_TRUE(
      HasLine(text, R"(netstat_port_rtt_current_sum_seconds{protocol="tcp",port="80"} 0.0004)"))
      << text;
  EXPECT_TRUE(
      HasLine(text, R"(netstat_port_rtt_current_max_seconds{protocol="tcp",port="80"} 0.00025)"));
  EXPECT_EQ(text.find("netstat_remote_port_rtt_current"), std::string::npos);
}

TEST(TcpCounts, AFailedRunFallsBackToNetlink) {
  auto table = std::make_unique<ListenerTable>();
  ListenerTable* t = table.get();
  auto counter = std::make_shared<FakeCounter>();
  counter->fail = true;
  socket_reading::SocketReading reading(std::move(table), counter);
  auto collector = sockets::MakeSocketsCollector(procfs::Root("/nonexistent", ""), {});
  std::vector<prometheus::MetricFamily> families;
  testing::ReadAndCollect(reading, *collector, &families);
  EXPECT_EQ(t->tcp_dumps, 2);  // one per family: this table cannot do both at once
  const std::string text = prometheus::TextSerializer().Serialize(families);
  EXPECT_TRUE(testing::HasLine(text, R"(netstat_sockets_source_info{source="netlink"} 1)"));
}

// A consumer that needs each socket keeps the namespace on netlink.
class PerSocket : public socket_reading::SocketConsumer {
 public:
  socket_reading::Interest interest() const override {
    return socket_reading::Interest().Want(st::Protocol::kTcp, st::Family::kIpv4, st::kAllStates);
  }
  void BeginNamespace(const socket_reading::NamespaceView&) override {}
  void OnInet(const st::InetSocket&) override {}
  void EndDump(st::Protocol, st::Family, const st::DumpResult&) override {}
  void EndNamespace() override {}
  void DiscardNamespace() override {}
};

TEST(TcpCounts, AConsumerThatNeedsEachSocketKeepsNetlink) {
  ListenerTable table;
  FakeCounter counter;
  PerSocket per_socket;
  auto collector = sockets::MakeSocketsCollector(procfs::Root("/nonexistent", ""), {});
  auto* sockets = dynamic_cast<socket_reading::SocketConsumer*>(collector.get());
  ASSERT_TRUE(socket_reading::ReadNamespace(
      table, {sockets, &per_socket}, [] { return false; }, &counter));
  EXPECT_EQ(table.tcp_dumps, 2);  // one per family
}

TEST(TcpCounts, AWalkOfTheHostAnswersThePortsAConsumerAsksFor) {
  TcpCounts walked;
  walked.family[1].sockets[1] = 7;
  walked.local_ports = {{80, {}, {}}, {443, {}, {}}};
  walked.local_ports[1].sockets[1] = 5;
  walked.remote_ports = {{5432, {}, {}}};
  walked.remote_ports[0].sockets[6] = 2;
  const TcpCounts asked = CountsFor(walked, {443, 22, 443}, {5432, 6379});
  EXPECT_EQ(asked.family[1].sockets[1], 7u);
  ASSERT_EQ(asked.local_ports.size(), 2u);  // sorted, distinct; a port not walked is zeros
  EXPECT_EQ(asked.local_ports[0].port, 22);
  EXPECT_EQ(asked.local_ports[0].sockets[1], 0u);
  EXPECT_EQ(asked.local_ports[1].port, 443);
  EXPECT_EQ(asked.local_ports[1].sockets[1], 5u);
  ASSERT_EQ(asked.remote_ports.size(), 2u);
  EXPECT_EQ(asked.remote_ports[0].sockets[6], 2u);
  EXPECT_EQ(asked.remote_ports[1].port, 6379);
}

TEST(TcpCounts, TheWalkOfTheHostInAutoModeNeedsAnotherNamespace) {
  using socket_reading::HostPass;
  EXPECT_FALSE(
      HostPass::Wanted(SourceMode::kAuto, true, 0));  // the own namespace's crossover rules
  EXPECT_TRUE(HostPass::Wanted(SourceMode::kAuto, true, 1));
  EXPECT_TRUE(HostPass::Wanted(SourceMode::kBpf, true, 0));
  EXPECT_FALSE(HostPass::Wanted(SourceMode::kNetlink, true, 100));
  EXPECT_FALSE(HostPass::Wanted(SourceMode::kBpf, false, 100));
}

}  // namespace
}  // namespace netstat::tcp_iter
