// The sockets collector: sockstat parser, the tally, and the whole collector on the
// fixture tree (procfs source, since the root is not the live /proc).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <set>
#include <string>

#include "collectors/sockets/socket_tally.h"
#include "collectors/sockets/sockets_collector.h"
#include "config/config.h"
#include "readers/sockstat/sockstat_parser.h"
#include "tests/unit/collector_output.h"
#include "tests/unit/fixture_util.h"

namespace netstat::sockets {
namespace {

using netstat::testing::FixturePath;
using netstat::testing::ReadFixture;
namespace st = socket_table;

TEST(SockstatParser, Fixture) {
  SockstatResult r = ParseSockstat(ReadFixture("proc/net/sockstat"));
  EXPECT_TRUE(r.errors.empty());
  ASSERT_EQ(r.values.size(), 12u);
  EXPECT_EQ(r.values[0].group, "sockets");
  EXPECT_EQ(r.values[0].field, "used");
  EXPECT_EQ(r.values[0].value, 187u);
  EXPECT_EQ(r.values[5].group, "TCP");
  EXPECT_EQ(r.values[5].field, "mem");
  EXPECT_EQ(r.values[5].value, 3u);
  SockstatResult v6 = ParseSockstat(ReadFixture("proc/net/sockstat6"));
  EXPECT_TRUE(v6.errors.empty());
  EXPECT_EQ(v6.values.size(), 6u);
}

TEST(SockstatParser, Malformed) {
  SockstatResult r = ParseSockstat(
      "TCP: inuse 5 orphan\n"      // odd pair count
      "UDP inuse 3\n"              // no colon
      "RAW: inuse x\n"             // not a number
      "FRAG: inuse 1 memory -4\n"  // negative
      "\n"
      "UDPLITE: inuse 0");  // no newline at the end: still fine
  EXPECT_EQ(r.errors.size(), 4u);
  ASSERT_EQ(r.values.size(), 1u);
  EXPECT_EQ(r.values[0].group, "UDPLITE");
  EXPECT_TRUE(ParseSockstat("").values.empty());
}

// Lines split as every procfs parser splits them (procfs/text.h): numbered from 1 with
// blank lines counted, blanks are spaces, tabs and a stray '\r', a blank-only line is
// skipped, and a last line without '\n' is still read.
TEST(SockstatParser, LinesAndBlanksAsTextH) {
  SockstatResult r = ParseSockstat(
      "sockets: used 1\r\n"
      " \t\r\n"
      "\n"
      "TCP: inuse\t2 orphan 0\n"
      "UDP: inuse x\n"
      "RAW: inuse 3");
  EXPECT_EQ(r.errors, std::vector<std::string>{"line 5: malformed: UDP: inuse x"});
  ASSERT_EQ(r.values.size(), 4u);
  EXPECT_EQ(r.values[0].value, 1u);
  EXPECT_EQ(r.values[1].field, "inuse");
  EXPECT_EQ(r.values[1].value, 2u);
  EXPECT_EQ(r.values[3].group, "RAW");
}

st::InetSocket Tcp(uint8_t state, uint16_t local, uint16_t remote, uint32_t rq = 0,
                   uint32_t sq = 0) {
  st::InetSocket s{};
  s.protocol = st::Protocol::kTcp;
  s.family = st::Family::kIpv4;
  s.state = state;
  s.local_port = local;
  s.remote_port = remote;
  s.receive_queue = rq;
  s.send_queue = sq;
  return s;
}

TEST(PortCounts, TracksOnlyChosenPorts) {
  PortCounts c;
  std::vector<uint16_t> ports;
  for (uint16_t p = 1000; p < 1300; ++p) ports.push_back(p);
  ports.push_back(1000);  // duplicate
  c.Track(ports);
  EXPECT_EQ(c.ports().size(), 300u);
  for (uint16_t p = 0; p < 2000; ++p) c.Add(p, st::kEstablished);
  c.Add(1299, st::kTimeWait);
  c.Add(1299, 200);  // no such state: ignored
  EXPECT_EQ(c.Count(1000, st::kEstablished), 1u);
  EXPECT_EQ(c.Count(1299, st::kTimeWait), 1u);
  EXPECT_EQ(c.Count(999, st::kEstablished), 0u);
  c.Track({80});
  EXPECT_FALSE(c.Tracks(1000));
  EXPECT_EQ(c.Count(80, st::kEstablished), 0u);
}

TEST(SocketTally, CountsAndRestores) {
  SocketTally t;
  t.Reset({80}, {5432});
  t.AddInet(Tcp(st::kListen, 80, 0, 3, 128));
  t.AddInet(Tcp(st::kEstablished, 80, 50000, 10, 20));
  t.AddInet(Tcp(st::kTimeWait, 80, 50001));
  t.AddInet(Tcp(st::kEstablished, 40000, 5432, 0, 5));
  t.AddInet(Tcp(99, 1, 1));
  const StateCounts& c = t.Inet(st::Protocol::kTcp, st::Family::kIpv4);
  EXPECT_EQ(c.sockets[st::kListen], 1u);
  EXPECT_EQ(c.sockets[st::kEstablished], 2u);
  EXPECT_EQ(c.receive_queue[st::kListen], 0u);  // accept queues are not bytes
  EXPECT_EQ(c.send_queue[st::kListen], 0u);
  EXPECT_EQ(c.receive_queue[st::kEstablished], 10u);
  EXPECT_EQ(c.send_queue[st::kEstablished], 25u);
  EXPECT_EQ(t.unknown(), 1u);
  EXPECT_EQ(t.local_ports().Count(80, st::kEstablished), 1u);
  EXPECT_EQ(t.local_ports().Count(80, st::kTimeWait), 1u);
  EXPECT_EQ(t.local_ports().Count(80, st::kListen), 0u);  // listeners excluded
  EXPECT_EQ(t.remote_ports().Count(5432, st::kEstablished), 1u);

  t.Save();
  t.AddInet(Tcp(st::kEstablished, 80, 50002));
  st::UnixSocket u{SOCK_DGRAM, st::kClose, 0, 0, 1};
  t.AddUnix(u);
  t.Restore();
  EXPECT_EQ(t.Inet(st::Protocol::kTcp, st::Family::kIpv4).sockets[st::kEstablished], 2u);
  EXPECT_EQ(t.local_ports().Count(80, st::kEstablished), 1u);
  EXPECT_EQ(t.Unix(1, st::kClose), 0u);
  t.AddUnix(u);
  EXPECT_EQ(t.Unix(1, st::kClose), 1u);
}

// name{labels} -> value, labels sorted by name.
std::map<std::string, double> Flatten(const std::vector<prometheus::MetricFamily>& families) {
  std::map<std::string, double> out;
  for (const auto& f : families) {
    for (const auto& m : f.metric) {
      std::map<std::string, std::string> labels;
      for (const auto& l : m.label) labels[l.name] = l.value;
      std::string key = f.name + "{";
      for (const auto& [k, v] : labels) key += k + "=" + v + ",";
      key += "}";
      out[key] = m.gauge.value;
    }
  }
  return out;
}

TEST(SocketsCollector, Fixtures) {
  config::Config cfg;
  cfg.sockets.remote_ports = {5432, 6379};
  procfs::Root root(FixturePath("proc"), FixturePath("sys"));
  const collectors::Environment env{root, cfg};
  auto collector = MakeSocketsCollector(env);
  auto reading = socket_reading::SocketReading::Open(env.root, env.site, env.config);
  std::vector<prometheus::MetricFamily> families;
  ASSERT_EQ(testing::ReadAndCollect(*reading, *collector, &families), "");
  auto m = Flatten(families);
  auto at = [&](const std::string& key) {
    auto it = m.find(key);
    EXPECT_NE(it, m.end()) << key;
    return it == m.end() ? -1.0 : it->second;
  };
  EXPECT_EQ(at("netstat_sockets{family=ipv4,protocol=tcp,state=listen,}"), 3);
  EXPECT_EQ(at("netstat_sockets{family=ipv4,protocol=tcp,state=established,}"), 5);
  EXPECT_EQ(at("netstat_sockets{family=ipv4,protocol=tcp,state=time_wait,}"), 2);
  EXPECT_EQ(at("netstat_sockets{family=ipv4,protocol=tcp,state=close_wait,}"), 1);
  EXPECT_EQ(at("netstat_sockets{family=ipv4,protocol=tcp,state=syn_recv,}"), 1);
  EXPECT_EQ(at("netstat_sockets{family=ipv6,protocol=tcp,state=listen,}"), 2);
  EXPECT_EQ(at("netstat_sockets{family=ipv6,protocol=tcp,state=fin_wait1,}"), 1);
  EXPECT_EQ(at("netstat_sockets{family=ipv4,protocol=udp,state=unconnected,}"), 3);
  EXPECT_EQ(at("netstat_sockets{family=ipv4,protocol=udp,state=established,}"), 1);
  EXPECT_EQ(at("netstat_sockets{family=ipv6,protocol=udp,state=unconnected,}"), 2);
  EXPECT_EQ(at("netstat_sockets{family=ipv4,protocol=udplite,state=unconnected,}"), 0);
  EXPECT_EQ(at("netstat_sockets{family=ipv6,protocol=raw,state=unconnected,}"), 1);
  EXPECT_EQ(at("netstat_sockets{family=unix,kind=stream,protocol=unix,state=listen,}"), 1);
  EXPECT_EQ(at("netstat_sockets{family=unix,kind=stream,protocol=unix,state=connected,}"), 3);
  EXPECT_EQ(at("netstat_sockets{family=unix,kind=stream,protocol=unix,state=unconnected,}"), 1);
  EXPECT_EQ(at("netstat_sockets{family=unix,kind=dgram,protocol=unix,state=connected,}"), 1);
  EXPECT_EQ(at("netstat_sockets{family=unix,kind=seqpacket,protocol=unix,state=listen,}"), 1);

  EXPECT_EQ(at("netstat_socket_send_queue_bytes{family=ipv4,protocol=tcp,state=established,}"), 36);
  EXPECT_EQ(at("netstat_socket_receive_queue_bytes{family=ipv4,protocol=tcp,state=established,}"),
            517);
  EXPECT_EQ(at("netstat_socket_receive_queue_bytes{family=ipv4,protocol=tcp,state=close_wait,}"),
            1);
  EXPECT_EQ(at("netstat_socket_receive_queue_bytes{family=ipv4,protocol=udp,state=unconnected,}"),
            768);
  EXPECT_EQ(m.count("netstat_socket_receive_queue_bytes{family=ipv6,protocol=tcp,state=listen,}"),
            0u);
  // Minisocks have no buffers: no queue series, though the states have sockets.
  for (const char* state : {"time_wait", "new_syn_recv"}) {
    for (const char* family : {"queue_bytes{family=ipv4", "queue_bytes{family=ipv6"}) {
      for (const char* side : {"netstat_socket_receive_", "netstat_socket_send_"}) {
        EXPECT_EQ(m.count(std::string(side) + family + ",protocol=tcp,state=" + state + ",}"), 0u)
            << side << family << state;
      }
    }
  }

  EXPECT_EQ(at("netstat_port_connections{port=22,protocol=tcp,state=established,}"), 2);
  EXPECT_EQ(at("netstat_port_connections{port=22,protocol=tcp,state=time_wait,}"), 1);
  EXPECT_EQ(at("netstat_port_connections{port=22,protocol=tcp,state=syn_recv,}"), 1);
  EXPECT_EQ(at("netstat_port_connections{port=80,protocol=tcp,state=established,}"), 2);
  EXPECT_EQ(at("netstat_port_connections{port=80,protocol=tcp,state=fin_wait1,}"), 1);
  EXPECT_EQ(at("netstat_port_connections{port=5432,protocol=tcp,state=established,}"), 1);
  EXPECT_EQ(at("netstat_port_connections{port=5432,protocol=tcp,state=time_wait,}"), 1);
  EXPECT_EQ(at("netstat_port_connections{port=53,protocol=tcp,state=established,}"), 0);
  EXPECT_EQ(m.count("netstat_port_connections{port=53,protocol=tcp,state=time_wait,}"), 0u);
  EXPECT_EQ(at("netstat_remote_port_connections{port=5432,protocol=tcp,state=established,}"), 1);
  EXPECT_EQ(at("netstat_remote_port_connections{port=5432,protocol=tcp,state=close_wait,}"), 1);
  EXPECT_EQ(at("netstat_remote_port_connections{port=6379,protocol=tcp,state=established,}"), 1);

  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  EXPECT_EQ(at("netstat_sockstat_sockets_used{}"), 187);
  EXPECT_EQ(at("netstat_sockstat_tcp_inuse{}"), 6);
  EXPECT_EQ(at("netstat_sockstat_tcp_tw{}"), 2);
  EXPECT_EQ(at("netstat_sockstat_tcp_mem_bytes{}"), 3 * page);
  EXPECT_EQ(at("netstat_sockstat_frag_memory_bytes{}"), 0);
  EXPECT_EQ(at("netstat_sockstat_tcp6_inuse{}"), 4);
  EXPECT_EQ(at("netstat_sockstat_raw6_inuse{}"), 1);
  EXPECT_EQ(at("netstat_sockets_source_info{source=procfs,}"), 1);
}

// A table serving a few TCP sockets: the ipv6 dump fails half-way, the ipv4 dump is
// interrupted once, udp is not supported.
class ScriptedTable : public st::SocketTable {
 public:
  st::Source source() const override { return st::Source::kNetlink; }
  st::DumpResult DumpInet(st::Protocol p, st::Family f, uint32_t states,
                          const std::function<void(const st::InetSocket&)>& visit) override {
    st::DumpResult r;
    if (p == st::Protocol::kUdp) return st::DumpResult{true, false, "", false};
    if (p != st::Protocol::kTcp) return r;
    if (f == st::Family::kIpv6) {
      visit(Tcp(st::kEstablished, 80, 1));
      return st::DumpResult{false, true, "sock_diag: No buffer space available", false};
    }
    if (states & st::StateBit(st::kListen)) visit(Tcp(st::kListen, 80, 0));
    if (states == st::StateBit(st::kListen)) return r;
    visit(Tcp(st::kEstablished, 80, 40000, 3, 0));
    if (interrupt_) {
      interrupt_ = false;
      visit(Tcp(st::kEstablished, 80, 40001));
      r.interrupted = true;
      return r;
    }
    return r;
  }
  st::DumpResult DumpUnix(const std::function<void(const st::UnixSocket&)>&) override { return {}; }

 private:
  bool interrupt_ = true;
};

TEST(SocketsCollector, FailedAndInterruptedDumps) {
  auto collector = MakeSocketsCollector(procfs::Root("/nonexistent", ""), {});
  socket_reading::SocketReading reading(std::make_unique<ScriptedTable>());
  std::vector<prometheus::MetricFamily> families;
  const std::string error = testing::ReadAndCollect(reading, *collector, &families);
  EXPECT_NE(error.find("tcp ipv6: sock_diag: No buffer space"), std::string::npos) << error;
  auto m = Flatten(families);
  // The interrupted attempt's extra socket is gone; the retry counted once.
  EXPECT_EQ(m["netstat_sockets{family=ipv4,protocol=tcp,state=established,}"], 1);
  EXPECT_EQ(m["netstat_sockets{family=ipv4,protocol=tcp,state=listen,}"], 1);
  EXPECT_EQ(m["netstat_socket_receive_queue_bytes{family=ipv4,protocol=tcp,state=established,}"],
            3);
  EXPECT_EQ(m["netstat_port_connections{port=80,protocol=tcp,state=established,}"], 1);
  // A failed dump publishes nothing for its protocol/family rather than a partial count,
  // an unsupported protocol nothing at all.
  for (const auto& [key, value] : m) {
    EXPECT_EQ(key.find("family=ipv6,protocol=tcp"), std::string::npos) << key;
    EXPECT_EQ(key.find("protocol=udp,"), std::string::npos) << key;
  }
  EXPECT_EQ(m.count("netstat_sockets{family=ipv4,protocol=udplite,state=unconnected,}"), 1u);
  EXPECT_EQ(m["netstat_sockets_source_info{source=netlink,}"], 1);
  // The next scrape starts from zero.
  families.clear();
  testing::ReadAndCollect(reading, *collector, &families);
  EXPECT_EQ(Flatten(families)["netstat_sockets{family=ipv4,protocol=tcp,state=established,}"], 1);
}

TEST(SocketsCollector, EmptyRootPublishesWhatItCan) {
  config::Config cfg;
  procfs::Root root("/nonexistent", "/nonexistent");
  const collectors::Environment env{root, cfg};
  auto collector = MakeSocketsCollector(env);
  auto reading = socket_reading::SocketReading::Open(env.root, env.site, env.config);
  std::vector<prometheus::MetricFamily> families;
  // nothing there is not an error
  EXPECT_EQ(testing::ReadAndCollect(*reading, *collector, &families), "");
  auto m = Flatten(families);
  EXPECT_EQ(m.size(), 2u);  // only the source, and no port dropped
  EXPECT_EQ(m["netstat_port_connections_dropped_ports{}"], 0);
}

// netstat_port_connections follows the listeners' cap (listeners.max_listeners): the
// lowest listening ports, and the rest counted in a gauge of this reading that does not
// grow with scrapes.
TEST(SocketsCollector, PortConnectionsFollowTheListenersCap) {
  config::Config cfg;
  cfg.listeners.max_listeners = 2;
  procfs::Root root(FixturePath("proc"), FixturePath("sys"));
  const collectors::Environment env{root, cfg};
  auto collector = MakeSocketsCollector(env);
  auto reading = socket_reading::SocketReading::Open(env.root, env.site, env.config);
  for (int scrape = 0; scrape < 3; ++scrape) {
    std::vector<prometheus::MetricFamily> families;
    ASSERT_EQ(testing::ReadAndCollect(*reading, *collector, &families), "");
    auto m = Flatten(families);
    std::set<std::string> ports;
    for (const auto& [key, value] : m) {
      if (key.rfind("netstat_port_connections{", 0) != 0) continue;
      ports.insert(key.substr(key.find("port=") + 5, key.find(',') - key.find("port=") - 5));
    }
    // The fixture listens on 22, 53, 80 and 5432.
    EXPECT_EQ(ports, (std::set<std::string>{"22", "53"})) << "scrape " << scrape;
    EXPECT_EQ(m["netstat_port_connections{port=22,protocol=tcp,state=established,}"], 2);
    EXPECT_EQ(m["netstat_port_connections_dropped_ports{}"], 2) << "scrape " << scrape;
  }
}

}  // namespace
}  // namespace netstat::sockets
