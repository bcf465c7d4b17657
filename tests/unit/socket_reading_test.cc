// The shared socket reading: one request per (protocol, family), TCP listeners first,
// each socket to the consumers that want it, retries and vanished namespaces; then
// namespaces.mode all over a fake procfs tree, read the /proc/PID/net way.
#include "readers/socket_reading/socket_reading.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "collectors/common/namespace_families.h"
#include "collectors/listeners/listeners_collector.h"
#include "collectors/sockets/sockets_collector.h"
#include "proctable_test_tree.h"
#include "tests/unit/collector_output.h"

namespace netstat::socket_reading {
namespace {

namespace st = socket_table;

st::InetSocket Tcp(uint8_t state, uint16_t port, uint64_t inode) {
  st::InetSocket s{};
  s.protocol = st::Protocol::kTcp;
  s.family = st::Family::kIpv4;
  s.state = state;
  s.local_port = port;
  s.inode = inode;
  return s;
}

// Serves one TCP listener and one connection, and records every request.
class RecordingTable : public st::SocketTable {
 public:
  st::Source source() const override { return st::Source::kNetlink; }
  st::DumpResult DumpInet(st::Protocol p, st::Family f, uint32_t states,
                          const std::function<void(const st::InetSocket&)>& visit) override {
    requests.push_back(std::string(st::ProtocolName(p)) + "/" + st::FamilyName(f) + "/" +
                       std::to_string(states));
    st::DumpResult r;
    if (p != st::Protocol::kTcp || f != st::Family::kIpv4) return r;
    if (states & st::StateBit(st::kListen)) visit(Tcp(st::kListen, 80, 1));
    if (states & st::StateBit(st::kEstablished)) {
      visit(Tcp(st::kEstablished, 80, 2));
      if (interrupt_once) {
        interrupt_once = false;
        r.interrupted = true;
      }
      if (fail) return st::DumpResult{false, true, "sock_diag: boom", false};
    }
    return r;
  }
  st::DumpResult DumpUnix(const std::function<void(const st::UnixSocket&)>& visit) override {
    requests.push_back("unix");
    visit(st::UnixSocket{});
    return {};
  }

  std::vector<std::string> requests;
  bool interrupt_once = false;
  bool fail = false;
};

class Recorder : public SocketConsumer {
 public:
  explicit Recorder(Interest interest) : interest_(interest) {}
  Interest interest() const override { return interest_; }
  void BeginRead() override { log.push_back("begin-read"); }
  void BeginNamespace(const NamespaceView& ns) override { log.push_back("ns:" + ns.label); }
  void ListenersRead() override { log.push_back("listeners-read"); }
  void SaveDump() override { log.push_back("save"); }
  void RestoreDump() override { log.push_back("restore"); }
  void OnInet(const st::InetSocket& s) override {
    log.push_back(st::StateName(s.protocol, s.state));
  }
  void OnUnix(const st::UnixSocket&) override { log.push_back("unix-socket"); }
  void EndDump(st::Protocol p, st::Family f, const st::DumpResult& r) override {
    log.push_back(std::string("end:") + st::ProtocolName(p) + "/" + st::FamilyName(f) +
                  (r.ok ? "" : ":failed"));
  }
  void EndNamespace() override { log.push_back("end-ns"); }
  void DiscardNamespace() override { log.push_back("discard-ns"); }

  std::vector<std::string> log;

 private:
  Interest interest_;
};

const uint32_t kListen = st::StateBit(st::kListen);
const uint32_t kRest = st::kAllStates & ~kListen;

TEST(ReadNamespace, OneRequestPerProtocolAndFamilyListenersFirst) {
  RecordingTable table;
  Recorder listeners(Interest()
                         .Want(st::Protocol::kTcp, st::Family::kIpv4, kListen)
                         .Want(st::Protocol::kTcp, st::Family::kIpv6, kListen)
                         .Want(st::Protocol::kUdp, st::Family::kIpv4, st::StateBit(st::kClose)));
  Recorder everything(Interest()
                          .Want(st::Protocol::kTcp, st::Family::kIpv4, st::kAllStates)
                          .Want(st::Protocol::kUdp, st::Family::kIpv4, st::kAllStates)
                          .WantUnix());
  ASSERT_TRUE(ReadNamespace(table, {&listeners, &everything}, [] { return false; }));
  // TCP as two requests with disjoint masks, listeners (both families) first; UDP once
  // with the union of both consumers' states; nothing nobody wants.
  EXPECT_EQ(table.requests,
            (std::vector<std::string>{"tcp/ipv4/" + std::to_string(kListen),
                                      "tcp/ipv6/" + std::to_string(kListen),
                                      "tcp/ipv4/" + std::to_string(kRest),
                                      "udp/ipv4/" + std::to_string(st::kAllStates), "unix"}));
  EXPECT_EQ(listeners.log,
            (std::vector<std::string>{"save", "listen", "end:tcp/ipv4", "save", "end:tcp/ipv6",
                                      "listeners-read", "save", "end:udp/ipv4"}));
  EXPECT_EQ(everything.log,
            (std::vector<std::string>{"save", "listen", "end:tcp/ipv4", "listeners-read", "save",
                                      "established", "end:tcp/ipv4", "save", "end:udp/ipv4", "save",
                                      "unix-socket", "end:unix/unix"}));
}

TEST(ReadNamespace, InterruptedDumpsAreReadAgainAfterARestore) {
  RecordingTable table;
  table.interrupt_once = true;
  Recorder c(Interest().Want(st::Protocol::kTcp, st::Family::kIpv4, kRest));
  ASSERT_TRUE(ReadNamespace(table, {&c}, [] { return false; }));
  EXPECT_EQ(c.log, (std::vector<std::string>{"listeners-read", "save", "established", "restore",
                                             "established", "end:tcp/ipv4"}));
}

TEST(ReadNamespace, AFailureInAVanishedNamespaceStopsIt) {
  RecordingTable table;
  table.fail = true;
  Recorder c(Interest().Want(st::Protocol::kTcp, st::Family::kIpv4, kRest).WantUnix());
  EXPECT_TRUE(ReadNamespace(table, {&c}, [] { return false; }));
  EXPECT_EQ(c.log.back(), "end:unix/unix");
  EXPECT_NE(std::find(c.log.begin(), c.log.end(), "end:tcp/ipv4:failed"), c.log.end());
  c.log.clear();
  EXPECT_FALSE(ReadNamespace(table, {&c}, [] { return true; }));
  EXPECT_EQ(c.log, (std::vector<std::string>{"listeners-read", "save", "established"}));
}

TEST(SocketReading, TheOwnNamespaceHasNoLabel) {
  SocketReading reading(std::make_unique<RecordingTable>());
  Recorder c(Interest().WantUnix());
  NamespacesSeen seen;
  reading.Read({&c}, &seen);
  EXPECT_EQ(c.log, (std::vector<std::string>{"begin-read", "ns:", "listeners-read", "save",
                                             "unix-socket", "end:unix/unix", "end-ns"}));
  EXPECT_FALSE(seen.all);  // mode own: no namespace families
}

// A fake procfs: the exporter's namespace 1 (net/tcp: nothing), namespace 2 held by pids
// 100 and 200 with a listener on :8080 and one connection to it, namespace 3 named
// "blue" by a bind mount and held by pid 300 with a listener on :22.
class AllNamespaces : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string header =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
        "timeout inode\n";
    tree_.Write("net/tcp", header);
    std::filesystem::create_directories(tree_.root() + "/self/ns");
    std::filesystem::create_symlink("net:[1]", tree_.root() + "/self/ns/net");
    for (int pid : {100, 200, 300}) {
      tree_.AddProcess(pid, "server", 5);
      std::filesystem::create_directories(tree_.root() + "/" + std::to_string(pid) + "/ns");
      std::filesystem::create_symlink(pid == 300 ? "net:[3]" : "net:[2]",
                                      tree_.root() + "/" + std::to_string(pid) + "/ns/net");
    }
    tree_.AddSocket(100, 3, 7001);
    tree_.AddSocket(300, 3, 7002);
    tree_.Write("100/net/tcp",
                header +
                    "   0: 00000000:1F90 00000000:0000 0A 00000000:00000002 00:00000000 00000000 "
                    "    0        0 7001 1 0000000000000000 100 0 0 10 0\n"
                    "   1: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000 "
                    "    0        0 7003 1 0000000000000000 100 0 0 10 0\n");
    tree_.Write("200/net/tcp", "this file must not be read: pid 100 represents namespace 2\n");
    tree_.Write("300/net/tcp",
                header +
                    "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 "
                    "    0        0 7002 1 0000000000000000 100 0 0 10 0\n");
    std::filesystem::create_directories(tree_.root() + "-netns");
    std::filesystem::create_symlink("net:[3]", tree_.root() + "-netns/blue");
    config_.namespaces.mode = config::NamespacesConfig::Mode::kAll;
    config_.namespaces.bind_mount_dirs = {tree_.root() + "-netns", "/nonexistent"};
    config_.listeners.labels = {"process"};
    config_.paths.services = NETSTAT_FIXTURES "/etc/services";
    config::ExpectedRule ssh;
    ssh.port = 22;
    ssh.netns = config::Pattern::Compile("blue");
    config_.listeners.expected = {ssh};
  }
  void TearDown() override { std::filesystem::remove_all(tree_.root() + "-netns"); }

  std::string Scrape(std::shared_ptr<tcp_iter::HostCounter> host = nullptr) {
    procfs::Root root(tree_.root(), "/nonexistent");
    const collectors::Environment env{root, config_};
    auto sockets = sockets::MakeSocketsCollector(env);
    auto listeners = listeners::MakeListenersCollector(env);
    auto reading = SocketReading::Open(env.root, env.site, env.config);
    if (host) reading->set_host_counter(host);
    NamespacesSeen seen;
    reading->Read({dynamic_cast<SocketConsumer*>(sockets.get()),
                   dynamic_cast<SocketConsumer*>(listeners.get())},
                  &seen);
    std::vector<prometheus::MetricFamily> families;
    collectors::PublishNamespaces(seen, &families);
    EXPECT_EQ(sockets->Collect(&families), "");
    EXPECT_EQ(listeners->Collect(&families), "");
    return prometheus::TextSerializer().Serialize(families);
  }

  testing::ProcTree tree_;
  config::Config config_;
};

TEST_F(AllNamespaces, EveryNamespaceWithItsLabel) {
  const std::string text = Scrape();
  using testing::HasLine;
  EXPECT_TRUE(HasLine(text,
                      "netstat_namespace_info{netns=\"net:[2]\",inode=\"2\",pid=\"100\","
                      "container_id=\"\",pod_uid=\"\"} 1"))
      << text;
  EXPECT_TRUE(
      HasLine(text,
              "netstat_namespace_info{netns=\"blue\",inode=\"3\",pid=\"300\",container_id=\"\","
              "pod_uid=\"\"} 1"));
  EXPECT_TRUE(HasLine(text, "netstat_namespaces_dropped 0"));
  EXPECT_TRUE(HasLine(
      text,
      "netstat_sockets{protocol=\"tcp\",family=\"ipv4\",state=\"listen\",netns=\"net:[2]\"} 1"));
  EXPECT_TRUE(HasLine(text,
                      "netstat_sockets{protocol=\"tcp\",family=\"ipv4\",state=\"established\","
                      "netns=\"net:[2]\"} 1"));
  EXPECT_TRUE(HasLine(text,
                      "netstat_port_connections{protocol=\"tcp\",port=\"8080\",state="
                      "\"established\",netns=\"net:[2]\"} 1"));
  // Foreign namespaces: only states with sockets, no sockstat; the own namespace keeps
  // its zeros and has no netns label.
  EXPECT_EQ(text.find("state=\"time_wait\",netns="), std::string::npos);
  EXPECT_TRUE(HasLine(
      text, "netstat_sockets{protocol=\"tcp\",family=\"ipv4\",state=\"listen\",netns=\"blue\"} 1"));
  // Owners resolve host-wide; the rule expects port 22 only in "blue".
  EXPECT_TRUE(HasLine(
      text,
      "netstat_listener_info{protocol=\"tcp\",family=\"ipv4\",address=\"0.0.0.0\","
      "port=\"8080\",interface=\"\",netns=\"net:[2]\",service=\"http-alt\",process=\"server\"} 1"))
      << text;
  EXPECT_TRUE(HasLine(
      text,
      "netstat_listener_unexpected{protocol=\"tcp\",family=\"ipv4\",address="
      "\"0.0.0.0\",port=\"8080\",interface=\"\",netns=\"net:[2]\",service=\"http-alt\",process="
      "\"server\"} 1"));
  EXPECT_EQ(text.find("netstat_listener_unexpected{protocol=\"tcp\",family=\"ipv4\",address="
                      "\"0.0.0.0\",port=\"22\""),
            std::string::npos);
  EXPECT_TRUE(HasLine(text,
                      "netstat_listener_queue_length{protocol=\"tcp\",family=\"ipv4\",address="
                      "\"0.0.0.0\",port=\"8080\",interface=\"\",netns=\"net:[2]\"} 2"));
  // /proc/PID/net has no backlog: no queue limit for namespaces read that way.
  EXPECT_EQ(text.find("netstat_listener_queue_limit{"), std::string::npos);
}

// A walk of the whole host that covers the own namespace and net:[2] but not "blue".
class FakeHost : public tcp_iter::HostCounter {
 public:
  bool Walk(const std::vector<uint64_t>& inodes, const std::vector<uint16_t>& remote_ports,
            std::vector<tcp_iter::HostNamespace>* out, std::string* /*error*/) override {
    asked = inodes;
    asked_remote = remote_ports;
    out->clear();
    for (uint64_t inode : inodes) {
      tcp_iter::HostNamespace ns;
      ns.inode = inode;
      ns.complete = inode != 3;
      if (inode == 2) {
        st::InetSocket l = Tcp(st::kListen, 8080, 7001);
        l.receive_queue = 2;
        l.send_queue = 64;  // the backlog, which /proc/PID/net does not show
        ns.listeners.push_back(l);
        ns.counts.family[0].sockets[st::kEstablished] = 1;
        tcp_iter::PortStates port;
        port.port = 8080;
        port.sockets[st::kEstablished] = 1;
        ns.counts.local_ports.push_back(port);
        ns.udp_complete = true;  // the fake tree has no 100/net/udp: only the walk has it
        st::InetSocket dns = Tcp(st::kClose, 53, 7004);
        dns.protocol = st::Protocol::kUdp;
        ns.udp.push_back(dns);
      }
      out->push_back(ns);
    }
    return true;
  }
  std::vector<uint64_t> asked;
  std::vector<uint16_t> asked_remote;
};

TEST_F(AllNamespaces, OneWalkOfTheHostStandsInForEachNamespacesTcpDumps) {
  config_.sockets.remote_ports = {5432};
  auto host = std::make_shared<FakeHost>();
  const std::string text = Scrape(host);
  using testing::HasLine;
  EXPECT_EQ(host->asked, (std::vector<uint64_t>{1, 2, 3}));  // the own namespace first
  EXPECT_EQ(host->asked_remote, (std::vector<uint16_t>{5432}));
  EXPECT_TRUE(HasLine(text,
                      "netstat_sockets{protocol=\"tcp\",family=\"ipv4\",state=\"established\","
                      "netns=\"net:[2]\"} 1"))
      << text;
  EXPECT_TRUE(HasLine(text,
                      "netstat_port_connections{protocol=\"tcp\",port=\"8080\",state="
                      "\"established\",netns=\"net:[2]\"} 1"));
  // The listener came from the walk (it knows the backlog) with its owner from /proc.
  EXPECT_TRUE(HasLine(text,
                      "netstat_listener_queue_limit{protocol=\"tcp\",family=\"ipv4\",address="
                      "\"0.0.0.0\",port=\"8080\",interface=\"\",netns=\"net:[2]\"} 64"));
  EXPECT_TRUE(HasLine(
      text,
      "netstat_listener_info{protocol=\"tcp\",family=\"ipv4\",address=\"0.0.0.0\","
      "port=\"8080\",interface=\"\",netns=\"net:[2]\",service=\"http-alt\",process=\"server\"} 1"));
  // Its UDP socket came from the walk too, to both collectors.
  EXPECT_TRUE(HasLine(text,
                      "netstat_sockets{protocol=\"udp\",family=\"ipv4\",state=\"unconnected\","
                      "netns=\"net:[2]\"} 1"));
  EXPECT_NE(text.find("netstat_listener_info{protocol=\"udp\",family=\"ipv4\",address="
                      "\"0.0.0.0\",port=\"53\",interface=\"\",netns=\"net:[2]\""),
            std::string::npos);
  // "blue", which the walk did not cover, is read from /proc/300/net as before.
  EXPECT_TRUE(HasLine(
      text, "netstat_sockets{protocol=\"tcp\",family=\"ipv4\",state=\"listen\",netns=\"blue\"} 1"));
  EXPECT_TRUE(HasLine(text, "netstat_sockets_source_info{netns=\"net:[2]\",source=\"bpf\"} 1"));
  EXPECT_TRUE(HasLine(text, "netstat_sockets_source_info{netns=\"blue\",source=\"procfs\"} 1"));
  EXPECT_TRUE(HasLine(text, "netstat_sockets_source_info{source=\"bpf\"} 1"));
}

TEST_F(AllNamespaces, NetlinkModeNeverWalksTheHost) {
  config_.sockets.source = tcp_iter::SourceMode::kNetlink;
  auto host = std::make_shared<FakeHost>();
  const std::string text = Scrape(host);
  EXPECT_TRUE(host->asked.empty());
  EXPECT_TRUE(
      testing::HasLine(text, "netstat_sockets_source_info{netns=\"net:[2]\",source=\"procfs\"} 1"))
      << text;
}

TEST_F(AllNamespaces, TheCapAndVanishedNamespaces) {
  config_.namespaces.max = 1;
  std::string text = Scrape();
  EXPECT_TRUE(testing::HasLine(text, "netstat_namespaces_dropped 1")) << text;
  EXPECT_EQ(text.find("netns=\"blue\""), std::string::npos);  // the higher inode is dropped
  config_.namespaces.max = 200;
  tree_.RemoveProcess(300);
  std::filesystem::remove(tree_.root() + "-netns/blue");
  text = Scrape();
  EXPECT_EQ(text.find("blue"), std::string::npos);
  EXPECT_EQ(text.find("inode=\"3\""), std::string::npos);
}

}  // namespace
}  // namespace netstat::socket_reading
