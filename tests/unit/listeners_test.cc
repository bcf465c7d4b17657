#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

#include "collectors/listeners/listener_set.h"
#include "collectors/listeners/listeners_collector.h"
#include "proctable_test_tree.h"
#include "tests/unit/collector_output.h"

namespace netstat::listeners {
namespace {

using namespace std::string_literals;
namespace st = socket_table;

st::InetSocket Tcp(uint16_t port, uint64_t inode, uint8_t state = st::kListen) {
  st::InetSocket s{};
  s.protocol = st::Protocol::kTcp;
  s.family = st::Family::kIpv4;
  s.state = state;
  s.local_port = port;
  s.local_address = {127, 0, 0, 1};
  s.receive_queue = 2;
  s.send_queue = 128;
  s.inode = inode;
  return s;
}

st::InetSocket Udp(uint16_t port, uint64_t inode) {
  st::InetSocket s = Tcp(port, inode, st::kClose);
  s.protocol = st::Protocol::kUdp;
  return s;
}

TEST(IsListener, WhichSocketsCount) {
  EXPECT_TRUE(IsListener(Tcp(22, 1)));
  EXPECT_FALSE(IsListener(Tcp(22, 1, st::kEstablished)));
  EXPECT_TRUE(IsListener(Udp(53, 1)));
  st::InetSocket connected = Udp(53, 1);
  connected.remote_port = 53;
  connected.remote_address = {192, 0, 2, 1};
  EXPECT_FALSE(IsListener(connected));
  EXPECT_FALSE(IsListener(Udp(0, 1)));  // never bound
  st::InetSocket raw = Udp(53, 1);
  raw.protocol = st::Protocol::kRaw;
  EXPECT_FALSE(IsListener(raw));
}

TEST(ListenerSet, ReuseportGroupsMergeAndSortByPort) {
  ListenerSet set;
  set.Add(Tcp(8080, 30));
  set.Add(Tcp(8080, 10));  // SO_REUSEPORT sibling
  set.Add(Tcp(8080, 10));  // the same socket again (an interrupted dump)
  set.Add(Udp(53, 40));
  set.Add(Tcp(22, 50));
  set.Add(Tcp(443, 60, st::kEstablished));
  uint64_t dropped = 7;
  std::vector<Listener> l = set.Take(100, &dropped);
  EXPECT_EQ(dropped, 0u);
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].port, 22);
  EXPECT_EQ(l[1].port, 53);
  EXPECT_EQ(l[1].queue_length, 0u);  // queues only for TCP
  EXPECT_EQ(l[2].port, 8080);
  ASSERT_EQ(l[2].sockets.size(), 2u);
  EXPECT_EQ(l[2].sockets[0].inode, 10u);
  // Never summed: each socket has 2 of 128, so has the group.
  EXPECT_EQ(l[2].queue_length, 2u);
  EXPECT_EQ(l[2].queue_limit, 128u);
  EXPECT_EQ(l[2].interface, "");
}

st::InetSocket Queue(uint16_t port, uint64_t inode, uint32_t length, uint32_t limit,
                     uint32_t device = 0) {
  st::InetSocket s = Tcp(port, inode);
  s.local_address = {0, 0, 0, 0};
  s.receive_queue = length;
  s.send_queue = limit;
  s.bound_interface = device;
  return s;
}

TEST(QueueFuller, RatioThenRoomLeft) {
  EXPECT_TRUE(QueueFuller(2, 4, 3, 128));  // 0.5 over 0.02, though 3 > 2
  EXPECT_FALSE(QueueFuller(3, 128, 2, 4));
  EXPECT_TRUE(QueueFuller(2, 1, 1, 1));    // overflowed beyond full
  EXPECT_TRUE(QueueFuller(1, 2, 2, 4));    // both half full: 1 left beats 2 left
  EXPECT_TRUE(QueueFuller(0, 1, 0, 128));  // both empty: the smaller queue fills first
  EXPECT_TRUE(QueueFuller(1, 0, 5, 128));  // a limit of 0 with a connection waiting
  EXPECT_FALSE(QueueFuller(2, 4, 2, 4));   // equal: neither
}

// Three 0.0.0.0:8082 listeners bound to lo, v0 and v1 (backlog 1, lo's overflowed): three
// listeners, each with its own queue, named once per device.
TEST(ListenerSet, BoundDevicesStayApart) {
  ListenerSet set;
  set.Add(Queue(8082, 1, 0, 1, 3));
  set.Add(Queue(8082, 2, 2, 1, 1));
  set.Add(Queue(8082, 3, 0, 1, 2));
  set.Add(Queue(8082, 4, 0, 1, 2));  // a SO_REUSEPORT sibling on v0
  set.Add(Queue(8082, 5, 0, 1, 9));  // a device that is gone
  std::map<uint32_t, int> asked;
  set.NameInterfaces([&](uint32_t i) {
    ++asked[i];
    const std::map<uint32_t, std::string> names = {{1, "lo"}, {2, "v0"}, {3, "v1"}};
    return names.count(i) ? names.at(i) : "if" + std::to_string(i);
  });
  EXPECT_EQ(asked, (std::map<uint32_t, int>{{1, 1}, {2, 1}, {3, 1}, {9, 1}}));
  uint64_t dropped = 0;
  std::vector<Listener> l = set.Take(100, &dropped);
  ASSERT_EQ(l.size(), 4u);
  EXPECT_EQ(l[0].interface, "if9");
  EXPECT_EQ(l[1].interface, "lo");
  EXPECT_EQ(l[1].queue_length, 2u);
  EXPECT_EQ(l[1].queue_limit, 1u);
  EXPECT_EQ(l[2].interface, "v0");
  EXPECT_EQ(l[2].sockets.size(), 2u);
  EXPECT_EQ(l[2].queue_limit, 1u);
  EXPECT_EQ(l[3].interface, "v1");
}

TEST(ListenerSet, LinkLocalScopesStayApart) {
  ListenerSet set;
  for (uint32_t device : {2u, 3u}) {
    st::InetSocket s = Queue(8085, device, 0, 4, device);
    s.family = st::Family::kIpv6;
    s.local_address = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    set.Add(s);
  }
  uint64_t dropped = 0;
  std::vector<Listener> l = set.Take(100, &dropped);  // never named: ss's fallback
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].interface, "if2");
  EXPECT_EQ(l[1].interface, "if3");
}

// A SO_REUSEPORT group shows its fullest socket, whatever order the dump gave: the alert
// on length/limit > 0.8 must see the one socket that is nearly full.
TEST(ListenerSet, ReuseportGroupShowsItsFullestSocket) {
  std::vector<st::InetSocket> group = {Queue(80, 1, 3, 128), Queue(80, 2, 7, 8), Queue(80, 3, 0, 1),
                                       Queue(80, 4, 60, 512)};
  std::vector<size_t> order = {0, 1, 2, 3};
  do {
    ListenerSet set;
    for (size_t i : order) set.Add(group[i]);
    uint64_t dropped = 0;
    std::vector<Listener> l = set.Take(100, &dropped);
    ASSERT_EQ(l.size(), 1u);
    EXPECT_EQ(l[0].queue_length, 7u);
    EXPECT_EQ(l[0].queue_limit, 8u);
  } while (std::next_permutation(order.begin(), order.end()));

  ListenerSet many;  // 200 owners of one port, backlog 1 each: the limit is 1, not 200
  for (uint64_t inode = 1; inode <= 200; ++inode) many.Add(Queue(8084, inode, 0, 1));
  uint64_t dropped = 0;
  std::vector<Listener> l = many.Take(100, &dropped);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].sockets.size(), 200u);
  EXPECT_EQ(l[0].queue_length, 0u);
  EXPECT_EQ(l[0].queue_limit, 1u);
}

TEST(ListenerSet, CapCountsDropped) {
  ListenerSet set;
  for (uint16_t p = 1000; p < 1010; ++p) set.Add(Tcp(p, p));
  uint64_t dropped = 0;
  std::vector<Listener> l = set.Take(4, &dropped);
  EXPECT_EQ(dropped, 6u);
  ASSERT_EQ(l.size(), 4u);
  EXPECT_EQ(l.back().port, 1003);
}

// The collector against a whole fake procfs: /proc/net/{tcp,tcp6,udp,udp6}, processes,
// fd links and the passwd of pid 1's root.
class CollectorTest : public ::testing::Test {
 protected:
  CollectorTest() {
    const std::string head =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
        "timeout inode\n";
    tree_.Write("net/tcp", head +
                               "   0: 00000000:0016 00000000:0000 0A 00000000:00000003 00:00000000 "
                               "00000000     0        0 1001 1 0000000000000000 100 0 0 10 0\n"
                               "   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 "
                               "00000000  1000        0 2001 1 0000000000000000 100 0 0 10 0\n"
                               "   2: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 "
                               "00000000  1000        0 2002 1 0000000000000000 100 0 0 10 0\n"
                               "   3: 0100007F:0016 0100007F:D431 01 00000000:00000000 00:00000000 "
                               "00000000     0        0 1005 1 0000000000000000 20 4 30 10 -1\n");
    tree_.Write("net/tcp6", head +
                                "   0: 00000000000000000000000001000000:0016 "
                                "00000000000000000000000000000000:0000 0A 00000000:00000000 "
                                "00:00000000 00000000     0        0 1002 1 0000000000000000 "
                                "100 0 0 10 0\n");
    tree_.Write("net/udp", head +
                               "  100: 00000000:0035 00000000:0000 07 00000000:00000000 "
                               "00:00000000 00000000  4321        0 3001 2 0000000000000000 0\n");
    tree_.Write("net/udp6", head);
    tree_.Write("1/root/etc/passwd", "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/:/bin/sh\n");
    tree_.AddProcess(1234, "sshd", 1820, "/usr/sbin/sshd\0-D\0"s);
    tree_.AddSocket(1234, 3, 1001);
    tree_.AddSocket(1234, 4, 1002);
    tree_.AddProcess(2400, "prometheus-node", 600, "/usr/bin/prometheus-node-exporter\0"s);
    tree_.AddSocket(2400, 5, 2002);
    tree_.AddProcess(2500, "prometheus-node", 601, "/usr/bin/prometheus-node-exporter\0"s);
    tree_.AddSocket(2500, 5, 2001);
    config_.paths.services = NETSTAT_FIXTURES "/etc/services";
  }

  // "family{k=v,...}" -> value for every sample.
  std::map<std::string, double> Collect() {
    procfs::Root root(tree_.root(), "/nonexistent");
    const collectors::Environment env{root, config_};
    auto collector = MakeListenersCollector(env);
    auto reading = socket_reading::SocketReading::Open(env.root, env.site, env.config);
    std::vector<prometheus::MetricFamily> families;
    EXPECT_EQ(testing::ReadAndCollect(*reading, *collector, &families), "");
    std::map<std::string, double> out;
    for (const auto& f : families) {
      for (const auto& m : f.metric) {
        std::string key = f.name + "{";
        for (const auto& l : m.label) key += l.name + "=" + l.value + ",";
        key += "}";
        out[key] = f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
      }
    }
    return out;
  }

  netstat::testing::ProcTree tree_;
  config::Config config_;
};

TEST_F(CollectorTest, InfoQueuesAndOwners) {
  auto m = Collect();
  EXPECT_EQ(m["netstat_listener_info{protocol=tcp,family=ipv4,address=0.0.0.0,port=22,interface=,"
              "service=ssh,process=sshd,user=root,}"],
            1);
  EXPECT_EQ(m["netstat_listener_info{protocol=tcp,family=ipv6,address=::1,port=22,interface=,"
              "service=ssh,process=sshd,user=root,}"],
            1);
  // A SO_REUSEPORT pair held by two processes: one series, the lower pid's name.
  EXPECT_EQ(
      m["netstat_listener_info{protocol=tcp,family=ipv4,address=127.0.0.1,port=8080,interface=,"
        "service=http-alt,process=prometheus-node-exporter,user=alice,}"],
      1);
  EXPECT_EQ(m["netstat_listener_info{protocol=udp,family=ipv4,address=0.0.0.0,port=53,interface=,"
              "service=domain,process=,user=4321,}"],
            1);
  EXPECT_EQ(m["netstat_listener_queue_length{protocol=tcp,family=ipv4,address=0.0.0.0,"
              "port=22,interface=,}"],
            3);
  EXPECT_EQ(m["netstat_listener_owner_unresolved{}"], 1);
  EXPECT_EQ(m["netstat_listeners_dropped{}"], 0);
  // /proc/net/tcp has no backlog, and no rules means no unexpected series.
  for (const auto& [k, v] : m) {
    EXPECT_EQ(k.find("netstat_listener_queue_limit"), std::string::npos) << k;
    EXPECT_EQ(k.find("netstat_listener_unexpected"), std::string::npos) << k;
  }
  size_t info = 0;
  for (const auto& [k, v] : m) info += k.rfind("netstat_listener_info{", 0) == 0;
  EXPECT_EQ(info, 4u);
}

TEST_F(CollectorTest, ExtraLabelsAndUnexpected) {
  config_.listeners.labels = {"process", "user", "pid", "cmdline"};
  config::ExpectedRule ssh;
  ssh.process = config::Pattern::Compile("sshd");
  config::ExpectedRule dns;
  dns.protocol = "udp";
  dns.port = 53;
  config_.listeners.expected = {ssh, dns};
  auto m = Collect();
  EXPECT_EQ(m["netstat_listener_unexpected{protocol=tcp,family=ipv4,address=127.0.0.1,"
              "port=8080,interface=,service=http-alt,process=prometheus-node-exporter,user=alice,"
              "pid=2400,"
              "cmdline=/usr/bin/prometheus-node-exporter,}"],
            1);
  size_t unexpected = 0;
  for (const auto& [k, v] : m) unexpected += k.rfind("netstat_listener_unexpected{", 0) == 0;
  EXPECT_EQ(unexpected, 1u);
  EXPECT_EQ(m["netstat_listener_info{protocol=tcp,family=ipv4,address=0.0.0.0,port=22,interface=,"
              "service=ssh,process=sshd,user=root,pid=1234,cmdline=/usr/sbin/sshd -D,}"],
            1);
}

// The dropped figure is what this reading left out: it does not grow with scrapes.
TEST_F(CollectorTest, CapAndDroppedGauge) {
  config_.listeners.max_listeners = 2;
  procfs::Root root(tree_.root(), "/nonexistent");
  const collectors::Environment env{root, config_};
  auto collector = MakeListenersCollector(env);
  auto reading = socket_reading::SocketReading::Open(env.root, env.site, env.config);
  for (int scrape = 0; scrape < 3; ++scrape) {
    std::vector<prometheus::MetricFamily> families;
    EXPECT_EQ(testing::ReadAndCollect(*reading, *collector, &families), "");
    const auto it = std::find_if(families.begin(), families.end(), [](const auto& f) {
      return f.name == "netstat_listeners_dropped";
    });
    ASSERT_NE(it, families.end());
    EXPECT_EQ(it->type, prometheus::MetricType::Gauge);
    EXPECT_EQ(it->metric.at(0).gauge.value, 2) << "scrape " << scrape;
  }
}

TEST_F(CollectorTest, WithoutOwnerLabelsNoProcessIsRead) {
  config_.listeners.labels = {"user"};
  auto m = Collect();
  EXPECT_EQ(m["netstat_listener_info{protocol=tcp,family=ipv4,address=0.0.0.0,port=22,interface=,"
              "service=ssh,user=root,}"],
            1);
  EXPECT_EQ(m.count("netstat_listener_owner_unresolved{}"), 0u);
}

}  // namespace
}  // namespace netstat::listeners

namespace netstat::listeners {
namespace {

// The committed fixture tree (also behind the golden end-to-end file): sshd and
// systemd-resolved own their sockets through tests/fixtures/proc/{1234,2345}/fd.
TEST(ListenersFixture, OwnersFromTheFixtureTree) {
  procfs::Root root(NETSTAT_FIXTURES "/proc", NETSTAT_FIXTURES "/sys");
  config::Config config;
  config.paths.services = NETSTAT_FIXTURES "/etc/services";
  const collectors::Environment env{root, config};
  auto collector = MakeListenersCollector(env);
  auto reading = socket_reading::SocketReading::Open(env.root, env.site, env.config);
  std::vector<prometheus::MetricFamily> families;
  EXPECT_EQ(testing::ReadAndCollect(*reading, *collector, &families), "");
  std::vector<std::string> owned;
  double unresolved = -1;
  size_t listeners = 0;
  for (const auto& f : families) {
    if (f.name == "netstat_listener_owner_unresolved") unresolved = f.metric.at(0).gauge.value;
    if (f.name != "netstat_listener_info") continue;
    listeners = f.metric.size();
    for (const auto& m : f.metric) {
      std::string s;
      for (const auto& l : m.label) s += l.value + " ";
      if (m.label.at(6).value != "") owned.push_back(s);
    }
  }
  EXPECT_EQ(owned, (std::vector<std::string>{
                       "tcp ipv4 0.0.0.0 22  ssh sshd root ",
                       "tcp ipv6 :: 22  ssh sshd root ",
                       "tcp ipv4 127.0.0.53 53  domain systemd-resolved systemd-resolve ",
                       "udp ipv4 127.0.0.53 53  domain systemd-resolved systemd-resolve ",
                   }));
  EXPECT_EQ(unresolved, static_cast<double>(listeners - owned.size()));
}

}  // namespace
}  // namespace netstat::listeners
