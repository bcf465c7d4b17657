// The BPF reader of namespace counters (readers/net_mib) against the kernel's own print of
// them: every field of Tcp, Udp, UdpLite and TcpExt that it maps, in namespaces made busy
// here, equals /proc/PID/net/snmp and /proc/PID/net/netstat read between two of its runs.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "collectors/snmp/snmp_parser.h"
#include "readers/net_mib/net_mib.h"
#include "readers/procfs/root.h"
#include "tests/unit/bpf_expected.h"
#include "tests/unit/host_walk_namespace.h"
#include "tests/unit/kernel_sockets.h"

namespace netstat {
namespace {

using net_mib::Found;
using net_mib::MibField;
using net_mib::NetMib;
using testing::ConnectAndAccept;
using testing::ListenOnLoopback;
using testing::LoopbackListener;
using testing::TestNamespace;

// Traffic that moves counters of every group: connections opened and closed, a connect
// refused (a reset sent), `busy` datagrams to a closed UDP port (NoPorts) and one to an
// open one.
void MakeBusy(TestNamespace* ns, int busy) {
  std::thread([ns, busy] {
    const int fd = ::open(ns->path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) return;
    ::close(fd);
    LoopbackListener l = ListenOnLoopback(AF_INET, 8);
    for (int i = 0; i < busy; ++i) {
      auto c = ConnectAndAccept(l);
      for (int s : c) ::close(s);
    }
    const uint16_t closed_port = l.port;
    ::close(l.fd);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons(closed_port);
    const int refused = ::socket(AF_INET, SOCK_STREAM, 0);
    ::connect(refused, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    ::close(refused);
    const int udp = ::socket(AF_INET, SOCK_DGRAM, 0);
    for (int i = 0; i < busy; ++i) {
      ::sendto(udp, "x", 1, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    }
    ::close(udp);
  }).join();
}

// A namespace's two files, parsed, read through a process inside it.
std::vector<snmp::Field> ProcFields(pid_t pid) {
  std::vector<snmp::Field> out;
  for (const char* file : {"snmp", "netstat"}) {
    std::string text;
    if (procfs::ReadTextFile("/proc/" + std::to_string(pid) + "/net/" + file, &text) != 0) {
      return {};
    }
    for (auto& f : snmp::ParsePairedGroups(text).fields) out.push_back(f);
  }
  return out;
}

// A thread parked in a namespace: its tid's /proc/TID/net is that namespace's.
class Resident {
 public:
  explicit Resident(const std::string& path) {
    thread_ = std::thread([this, path] {
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      const bool in = fd >= 0 && ::setns(fd, CLONE_NEWNET) == 0;
      if (fd >= 0) ::close(fd);
      {
        std::lock_guard lock(mu_);
        tid_ = in ? ::gettid() : -1;
      }
      cv_.notify_all();
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return done_; });
    });
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return tid_ != 0; });
  }
  ~Resident() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  pid_t tid() const { return tid_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
  pid_t tid_ = 0;
  bool done_ = false;
};

TEST(NetMibKernel, EveryMappedFieldEqualsTheNamespacesOwnProcFiles) {
  std::string error;
  std::shared_ptr<NetMib> mib = NetMib::Shared(&error);
  if (!mib) NETSTAT_SKIP_OR_FAIL_BPF(error);

  std::vector<std::unique_ptr<TestNamespace>> namespaces;
  for (int i = 0; i < 3; ++i) {
    namespaces.push_back(std::make_unique<TestNamespace>(100 + i, false));
    ASSERT_TRUE(namespaces.back()->ok());
    MakeBusy(namespaces.back().get(), 2 + 3 * i);
  }
  std::sort(namespaces.begin(), namespaces.end(),
            [](const auto& a, const auto& b) { return a->inode() < b->inode(); });
  std::vector<uint64_t> inodes;
  std::vector<std::unique_ptr<Resident>> residents;
  for (const auto& ns : namespaces) {
    inodes.push_back(ns->inode());
    residents.push_back(std::make_unique<Resident>(ns->path()));
    ASSERT_GT(residents.back()->tid(), 0);
  }
  usleep(300 * 1000);  // delayed ACKs and the like, before counters are compared

  // Every field the reader maps, as the first namespace's files name them.
  const std::vector<snmp::Field> names = ProcFields(residents[0]->tid());
  ASSERT_FALSE(names.empty());
  std::vector<MibField> fields;
  std::vector<std::string> keys;
  for (const auto& f : names) {
    auto m = mib->Find(f.group, f.name);
    if (!m) continue;
    fields.push_back(*m);
    keys.push_back(f.group + "_" + f.name);
  }
  // Tcp 15, Udp 9, UdpLite 9 and TcpExt's 135 on 6.18: every one.
  EXPECT_GT(fields.size(), 150u);
  for (const char* key : {"Tcp_RetransSegs", "Tcp_OutRsts", "Tcp_EstabResets", "Tcp_AttemptFails",
                          "Tcp_InErrs", "Tcp_MaxConn", "TcpExt_ListenOverflows",
                          "TcpExt_ListenDrops", "TcpExt_TCPTimeouts", "TcpExt_TCPSynRetrans",
                          "Udp_InErrors", "Udp_RcvbufErrors", "Udp_SndbufErrors", "Udp_NoPorts"}) {
    EXPECT_NE(std::find(keys.begin(), keys.end(), key), keys.end()) << key << " not mapped";
  }
  EXPECT_FALSE(mib->Find("Ip", "InReceives"));
  EXPECT_TRUE(mib->Find("TcpExt", "TW"));  // LINUX_MIB_TIMEWAITED: another name
  EXPECT_FALSE(mib->Find("TcpExt", "NoSuchField"));

  // Chunks of the reader's limit, each between two runs.
  for (size_t first = 0; first < fields.size(); first += 64) {
    const std::vector<MibField> part(fields.begin() + first,
                                     fields.begin() + std::min(fields.size(), first + 64));
    std::vector<uint64_t> before, after;
    std::vector<Found> found;
    ASSERT_TRUE(mib->Read(part, inodes, &before, &found, &error)) << error;
    std::vector<std::vector<snmp::Field>> proc;
    for (const auto& r : residents) proc.push_back(ProcFields(r->tid()));
    ASSERT_TRUE(mib->Read(part, inodes, &after, &found, &error)) << error;
    for (size_t i = 0; i < inodes.size(); ++i) {
      ASSERT_EQ(found[i], Found::kRead) << "namespace " << i;
      for (size_t f = 0; f < part.size(); ++f) {
        const std::string& key = keys[first + f];
        double value = -2;
        for (const auto& p : proc[i]) {
          if (p.group + "_" + p.name == key) value = p.value;
        }
        const double lo = part[f].Value(before[i * part.size() + f]);
        const double hi = part[f].Value(after[i * part.size() + f]);
        EXPECT_LE(lo, value) << key << " in namespace " << i;
        EXPECT_GE(hi, value) << key << " in namespace " << i;
      }
    }
  }

  // The traffic shows: namespace i opened 2 + 3i connections and sent as many datagrams
  // to a closed port.
  std::vector<MibField> two = {*mib->Find("Tcp", "ActiveOpens"), *mib->Find("Udp", "NoPorts")};
  std::vector<uint64_t> values;
  std::vector<Found> found;
  ASSERT_TRUE(mib->Read(two, inodes, &values, &found, &error)) << error;
  std::vector<uint64_t> opens;
  for (size_t i = 0; i < inodes.size(); ++i) opens.push_back(values[2 * i]);
  std::sort(opens.begin(), opens.end());
  EXPECT_EQ(opens, (std::vector<uint64_t>{3, 6, 9}));  // + the refused connect each
}

TEST(NetMibKernel, ANamespaceNotInTheKernelIsNotFound) {
  std::string error;
  std::shared_ptr<NetMib> mib = NetMib::Shared(&error);
  if (!mib) NETSTAT_SKIP_OR_FAIL_BPF(error);
  auto ns = std::make_unique<TestNamespace>(110, false);
  ASSERT_TRUE(ns->ok());
  const uint64_t gone = ns->inode();
  ns.reset();
  auto live = std::make_unique<TestNamespace>(111, false);
  ASSERT_TRUE(live->ok());
  std::vector<uint64_t> inodes = {gone, live->inode()};
  std::sort(inodes.begin(), inodes.end());
  std::vector<uint64_t> values;
  std::vector<Found> found;
  // The kernel unlinks a deleted namespace from a work queue: up to 5 s.
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(mib->Read({*mib->Find("Tcp", "MaxConn")}, inodes, &values, &found, &error))
        << error;
    if (found[inodes[0] == gone ? 0 : 1] == Found::kNo) break;
    usleep(100 * 1000);
  }
  for (size_t i = 0; i < inodes.size(); ++i) {
    if (inodes[i] == gone) {
      EXPECT_EQ(found[i], Found::kNo);
    } else {
      EXPECT_EQ(found[i], Found::kRead);
      EXPECT_EQ(mib->Find("Tcp", "MaxConn")->Value(values[i]), -1);
    }
  }
}

}  // namespace
}  // namespace netstat
