// The snmp collector in namespaces mode all: the other namespaces come from the shared
// socket reading (driven here by hand, as SocketReading would), their files from a
// throw-away procfs tree: /proc/PID/net/{snmp,netstat} and /proc/PID/ns/net.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "collectors/snmp/snmp_collector.h"
#include "readers/socket_reading/socket_consumer.h"
#include "tests/unit/fixture_util.h"
#include "tests/unit/proctable_test_tree.h"

namespace netstat::snmp {
namespace {

using netstat::testing::FixturePath;
using netstat::testing::ProcTree;
using netstat::testing::ReadFixture;
namespace sr = socket_reading;

// A namespace as the reading hands it over; discarded: it vanished while being read.
struct Seen {
  std::string label;
  uint64_t inode;
  int32_t pid;
  bool discarded = false;
};

class SnmpNamespaces : public ::testing::Test {
 protected:
  SnmpNamespaces() {
    config_.namespaces.mode = config::NamespacesConfig::Mode::kAll;
    for (const char* f : {"snmp", "netstat", "snmp6"}) {
      tree_.Write(std::string("net/") + f, ReadFixture(std::string("proc/net/") + f));
    }
  }

  // A process `pid` in namespace `inode` whose net/ files are those of `fixture`.
  void AddPod(int pid, uint64_t inode, const std::string& fixture) {
    for (const char* f : {"snmp", "netstat"}) {
      tree_.Write(std::to_string(pid) + "/net/" + f, ReadFixture(fixture + "/net/" + f));
    }
    LinkNamespace(pid, inode);
  }
  void LinkNamespace(int pid, uint64_t inode) {
    const std::string link = tree_.root() + "/" + std::to_string(pid) + "/ns/net";
    std::filesystem::create_directories(tree_.root() + "/" + std::to_string(pid) + "/ns");
    std::filesystem::remove(link);
    std::filesystem::create_symlink("net:[" + std::to_string(inode) + "]", link);
  }

  // One reading that saw `others` after the own namespace, then Collect.
  std::string Run(const std::string& procfs, const std::vector<Seen>& others) {
    procfs::Root root(procfs, FixturePath("sys"));
    if (!collector_) collector_ = MakeSnmpCollector({root, config_});
    auto* consumer = dynamic_cast<sr::SocketConsumer*>(collector_.get());
    EXPECT_NE(consumer, nullptr);
    if (consumer == nullptr) return "not a consumer";
    EXPECT_EQ(
        consumer->interest().States(socket_table::Protocol::kTcp, socket_table::Family::kIpv4), 0u);
    consumer->BeginRead();
    consumer->BeginNamespace(sr::NamespaceView{});
    consumer->EndNamespace();
    for (const Seen& s : others) {
      sr::NamespaceView view{false, s.label, socket_table::Source::kProcfs, s.inode};
      view.pid = s.pid;
      consumer->BeginNamespace(view);
      if (s.discarded) {
        consumer->DiscardNamespace();
      } else {
        consumer->EndNamespace();
      }
    }
    std::vector<prometheus::MetricFamily> out;
    families_.clear();
    const std::string error = collector_->Collect(&out);
    for (auto& f : out) families_[f.name] = f;
    return error;
  }
  std::string Run(const std::vector<Seen>& others) { return Run(tree_.root(), others); }

  // "" for the own namespace's sample; nullopt-like -1 when the family or sample is absent.
  double Value(const std::string& family, const std::string& netns) const {
    auto it = families_.find(family);
    if (it == families_.end()) return -1;
    for (const auto& m : it->second.metric) {
      std::string label;
      for (const auto& l : m.label) {
        if (l.name == "netns") label = l.value;
      }
      if (label == netns) {
        return it->second.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
      }
    }
    return -1;
  }
  size_t SamplesOf(const std::string& netns) const {
    size_t n = 0;
    for (const auto& [name, f] : families_) {
      for (const auto& m : f.metric) {
        for (const auto& l : m.label) n += l.name == "netns" && l.value == netns;
      }
    }
    return n;
  }

  ProcTree tree_;
  config::Config config_;
  std::unique_ptr<collectors::Collector> collector_;
  std::map<std::string, prometheus::MetricFamily> families_;
};

TEST(SnmpCollectorMode, OnlyModeAllHearsOfTheReading) {
  procfs::Root root(FixturePath("proc"), FixturePath("sys"));
  config::Config own;
  EXPECT_EQ(dynamic_cast<sr::SocketConsumer*>(MakeSnmpCollector({root, own}).get()), nullptr);
  config::Config all;
  all.namespaces.mode = config::NamespacesConfig::Mode::kAll;
  EXPECT_NE(dynamic_cast<sr::SocketConsumer*>(MakeSnmpCollector({root, all}).get()), nullptr);
}

TEST_F(SnmpNamespaces, EachNamespaceUnderTheHostsNamesWithItsLabel) {
  AddPod(100, 1001, "snmp/pod");
  AddPod(200, 1002, "snmp/pod");
  EXPECT_EQ(Run({{"pod-a", 1001, 100}, {"net:[1002]", 1002, 200}}), "");
  EXPECT_EQ(Value("netstat_TcpExt_ListenOverflows_total", ""), 0);
  EXPECT_EQ(Value("netstat_TcpExt_ListenOverflows_total", "pod-a"), 7);
  EXPECT_EQ(Value("netstat_TcpExt_ListenOverflows_total", "net:[1002]"), 7);
  EXPECT_EQ(Value("netstat_Tcp_RetransSegs_total", "pod-a"), 42);
  EXPECT_EQ(Value("netstat_Tcp_OutRsts_total", "pod-a"), 5);
  EXPECT_EQ(Value("netstat_Udp_NoPorts_total", "pod-a"), 9);
  EXPECT_EQ(Value("netstat_TcpExt_TCPTimeouts_total", "pod-a"), 4);
  // The host's default set is wider than a namespace's.
  EXPECT_EQ(Value("netstat_Tcp_ActiveOpens_total", ""), 13);
  EXPECT_EQ(Value("netstat_Tcp_ActiveOpens_total", "pod-a"), -1);
  EXPECT_EQ(SamplesOf("pod-a"), 13u);
  EXPECT_EQ(families_.at("netstat_TcpExt_ListenOverflows_total").help,
            "Field ListenOverflows of group TcpExt in /proc/net/netstat (netstat -s).");
}

TEST_F(SnmpNamespaces, AProcessGoneSinceTheReadingIsSkippedQuietly) {
  AddPod(100, 1001, "snmp/pod");
  AddPod(300, 1003, "snmp/pod");
  LinkNamespace(300, 4444);  // pid 300 now belongs to another namespace
  // pid 400 exited: no directory at all; pod-d vanished during the reading.
  EXPECT_EQ(Run({{"pod-a", 1001, 100},
                 {"pod-c", 1003, 300},
                 {"pod-x", 1004, 400},
                 {"pod-d", 1001, 100, true}}),
            "");
  EXPECT_EQ(SamplesOf("pod-a"), 13u);
  EXPECT_EQ(SamplesOf("pod-c"), 0u);
  EXPECT_EQ(SamplesOf("pod-x"), 0u);
  EXPECT_EQ(SamplesOf("pod-d"), 0u);
  // The next run sees only what that reading read.
  EXPECT_EQ(Run({}), "");
  EXPECT_EQ(SamplesOf("pod-a"), 0u);
}

TEST_F(SnmpNamespaces, ABrokenFileOfALiveNamespaceIsAFailureThatKeepsTheRest) {
  AddPod(100, 1001, "snmp/pod-broken");
  AddPod(200, 1002, "snmp/pod");
  const std::string error = Run({{"pod-a", 1001, 100}, {"pod-b", 1002, 200}});
  EXPECT_NE(error.find("netns pod-a: " + tree_.root() +
                       "/100/net/snmp: line 8: Tcp_RetransSegs: not a number: \"x42\""),
            std::string::npos)
      << error;
  EXPECT_NE(error.find(tree_.root() + "/100/net/netstat: "), std::string::npos) << error;
  EXPECT_EQ(Value("netstat_Tcp_RetransSegs_total", "pod-a"), -1);
  EXPECT_EQ(Value("netstat_Tcp_OutRsts_total", "pod-a"), 5);              // the rest of Tcp stays
  EXPECT_EQ(Value("netstat_TcpExt_ListenOverflows_total", "pod-a"), -1);  // cut file
  EXPECT_EQ(SamplesOf("pod-b"), 13u);
  EXPECT_EQ(Value("netstat_TcpExt_ListenOverflows_total", ""), 0);
}

TEST_F(SnmpNamespaces, IncludeExcludeAndNetnsIncludeApply) {
  AddPod(100, 1001, "snmp/pod");
  config_.snmp.filter.exclude = config::Pattern::Compile("^TcpExt_Listen");
  EXPECT_EQ(Run({{"pod-a", 1001, 100}}), "");
  EXPECT_EQ(Value("netstat_TcpExt_ListenOverflows_total", "pod-a"), -1);
  EXPECT_EQ(SamplesOf("pod-a"), 11u);

  collector_.reset();
  config_.snmp.filter = config::NameFilter{};  // include ".*": every field
  config_.snmp.netns_include = config::Pattern::Compile(".*");
  EXPECT_EQ(Run({{"pod-a", 1001, 100}}), "");
  EXPECT_EQ(Value("netstat_Tcp_ActiveOpens_total", "pod-a"), 3);
  EXPECT_GT(SamplesOf("pod-a"), 200u);

  collector_.reset();
  config_.snmp.netns_include = config::Pattern::Compile("^$");  // no namespace
  EXPECT_EQ(Run({{"pod-a", 1001, 100}}), "");
  EXPECT_EQ(SamplesOf("pod-a"), 0u);
}

size_t OpenFds() {
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator("/proc/self/fd"),
                                           std::filesystem::directory_iterator{}));
}

// The files stay open between scrapes (the kernel renders netstat once into a kept
// buffer) and are closed as soon as a reading no longer has the namespace.
TEST_F(SnmpNamespaces, FilesStayOpenWhileTheNamespaceIsRead) {
  AddPod(100, 1001, "snmp/pod");
  AddPod(200, 1002, "snmp/pod");
  const size_t before = OpenFds();
  EXPECT_EQ(Run({{"pod-a", 1001, 100}, {"pod-b", 1002, 200}}), "");
  EXPECT_EQ(OpenFds(), before + 4);
  tree_.RemoveProcess(100);  // the namespace lives on through its open files
  EXPECT_EQ(Run({{"pod-a", 1001, 100}, {"pod-b", 1002, 200}}), "");
  EXPECT_EQ(Value("netstat_TcpExt_ListenOverflows_total", "pod-a"), 7);
  EXPECT_EQ(OpenFds(), before + 4);
  EXPECT_EQ(Run({{"pod-b", 1002, 200}}), "");
  EXPECT_EQ(OpenFds(), before + 2);
  collector_.reset();
  EXPECT_EQ(OpenFds(), before);
}

// With netns_include kept to two Tcp_ fields no group of netstat is wanted: after one clean
// reading the file is closed and neither opened nor read again, in any namespace.
TEST_F(SnmpNamespaces, AFileWithNoWantedFieldIsReadOnce) {
  config_.snmp.netns_include = config::Pattern::Compile("^Tcp_(RetransSegs|OutRsts)$");
  AddPod(100, 1001, "snmp/pod");
  AddPod(200, 1002, "snmp/pod");
  const size_t before = OpenFds();
  EXPECT_EQ(Run({{"pod-a", 1001, 100}}), "");
  EXPECT_EQ(Value("netstat_Tcp_RetransSegs_total", "pod-a"), 42);
  EXPECT_EQ(SamplesOf("pod-a"), 2u);
  EXPECT_EQ(OpenFds(), before + 1);  // snmp only
  // A broken netstat is not even looked at now; a new namespace opens snmp alone.
  tree_.Write("100/net/netstat", "garbage\n");
  EXPECT_EQ(Run({{"pod-a", 1001, 100}, {"pod-b", 1002, 200}}), "");
  EXPECT_EQ(SamplesOf("pod-a"), 2u);
  EXPECT_EQ(SamplesOf("pod-b"), 2u);
  EXPECT_EQ(OpenFds(), before + 2);
}

// What a namespace costs on the live kernel: the real files of this process, read as if
// 100 namespaces each had it as their lowest pid. Prints, does not assert (a shared
// machine's timing is no test).
TEST_F(SnmpNamespaces, CostPerNamespaceOnTheLiveKernel) {
  char link[64] = {};
  if (readlink("/proc/self/ns/net", link, sizeof link - 1) <= 0) GTEST_SKIP() << "no /proc";
  uint64_t inode = 0;
  std::sscanf(link, "net:[%lu]", &inode);
  std::vector<Seen> others;
  for (int i = 0; i < 100; ++i) {
    others.push_back({"pod-" + std::to_string(i), inode, static_cast<int32_t>(getpid())});
  }
  Run("/proc", {});
  const auto own_start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) Run("/proc", {});
  const auto own = (std::chrono::steady_clock::now() - own_start) / 20;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) EXPECT_EQ(Run("/proc", others), "");
  const auto all = (std::chrono::steady_clock::now() - start) / 20;
  EXPECT_EQ(SamplesOf("pod-99"), 13u);
  const double per_ns_ms = std::chrono::duration<double, std::milli>(all - own).count() / 100;
  std::printf("snmp collect: own %.3f ms, with 100 namespaces %.3f ms: %.4f ms per namespace\n",
              std::chrono::duration<double, std::milli>(own).count(),
              std::chrono::duration<double, std::milli>(all).count(), per_ns_ms);
}

}  // namespace
}  // namespace netstat::snmp
