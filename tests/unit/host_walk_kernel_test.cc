// The real tcp_host.bpf.c (root and kernel BTF; skipped where it cannot load): namespaces
// made by `ip netns add`, one with a hash of its own (tcp_child_ehash_entries), with
// listeners and connections in several states, read by one HostWalk and compared with
// a netlink sock_diag dump made inside each.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "readers/netns/netlink_socket_in.h"
#include "readers/procfs/root.h"
#include "readers/socket_table/netlink_socket_table.h"
#include "readers/tcp_iter/host_walk.h"
#include "tests/unit/bpf_expected.h"
#include "tests/unit/host_walk_namespace.h"
#include "tests/unit/kernel_sockets.h"

namespace netstat::tcp_iter {
namespace {

namespace st = socket_table;
using netstat::testing::ConnectAndAccept;
using netstat::testing::ListenOnLoopback;
using netstat::testing::LoopbackListener;
using netstat::testing::TestNamespace;

// The sockets of one namespace, made by a thread that enters it: listeners on 127.0.0.1
// (with a connection not accepted), ::1, dual-stack :: and one bound to lo; connections
// established (with unread bytes), in time-wait, close-wait (and the fin-wait-2 other
// end), and request sockets (TCP_DEFER_ACCEPT keeps them in syn-recv).
void Populate(TestNamespace* ns, int extra) {
  std::thread([ns, extra] {
    const int fd = ::open(ns->path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) return;
    ::close(fd);
    auto keep = [ns](int s) {
      if (s >= 0) ns->fds.push_back(s);
    };
    LoopbackListener v4 = ListenOnLoopback(AF_INET, 16);
    LoopbackListener v6 = ListenOnLoopback(AF_INET6, 32);
    keep(v4.fd);
    keep(v6.fd);
    ns->remote_port = v4.port;
    for (int i = 0; i < 2 + extra; ++i) {
      auto c = ConnectAndAccept(v4);
      keep(c[0]);
      keep(c[1]);
      if (c[0] >= 0) (void)!::write(c[0], "hello", 5);  // unread at the accepted end
    }
    auto c6 = ConnectAndAccept(v6);
    keep(c6[0]);
    keep(c6[1]);
    // Time-wait: the client closes first, then the server.
    auto tw = ConnectAndAccept(v4);
    if (tw[0] >= 0) ::close(tw[0]);
    usleep(20000);
    if (tw[1] >= 0) ::close(tw[1]);
    // A connection the v4 listener has not accepted: its accept queue is 1.
    const int pending = ::socket(AF_INET, SOCK_STREAM, 0);
    ::connect(pending, reinterpret_cast<const sockaddr*>(&v4.address), v4.length);
    keep(pending);
    // Close-wait at the server; the client's end is an orphan in fin-wait-2.
    auto cw = ConnectAndAccept(v6);
    if (cw[0] >= 0) ::close(cw[0]);
    keep(cw[1]);
    // Dual-stack listener on ::, with a v4 client (a v4-mapped accepted end).
    const int dual = ::socket(AF_INET6, SOCK_STREAM, 0);
    int off = 0;
    ::setsockopt(dual, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    sockaddr_in6 any6{};
    any6.sin6_family = AF_INET6;
    socklen_t len6 = sizeof any6;
    ::bind(dual, reinterpret_cast<sockaddr*>(&any6), sizeof any6);
    ::listen(dual, 8);
    ::getsockname(dual, reinterpret_cast<sockaddr*>(&any6), &len6);
    keep(dual);
    LoopbackListener via4;
    via4.family = AF_INET;
    auto* a4 = reinterpret_cast<sockaddr_in*>(&via4.address);
    a4->sin_family = AF_INET;
    a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a4->sin_port = any6.sin6_port;
    via4.length = sizeof *a4;
    via4.fd = dual;
    auto cd = ConnectAndAccept(via4);
    keep(cd[0]);
    keep(cd[1]);
    // A listener bound to lo, deferring accept: its connections stay request sockets.
    const int dev = ::socket(AF_INET, SOCK_STREAM, 0);
    ::setsockopt(dev, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3);
    int defer = 10;
    ::setsockopt(dev, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof defer);
    sockaddr_in any4{};
    any4.sin_family = AF_INET;
    socklen_t len4 = sizeof any4;
    ::bind(dev, reinterpret_cast<sockaddr*>(&any4), sizeof any4);
    ::listen(dev, 8);
    ::getsockname(dev, reinterpret_cast<sockaddr*>(&any4), &len4);
    keep(dev);
    any4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < 2; ++i) {
      const int s = ::socket(AF_INET, SOCK_STREAM, 0);
      ::connect(s, reinterpret_cast<sockaddr*>(&any4), sizeof any4);
      keep(s);
    }
  }).join();
  usleep(100000);  // the last FINs and ACKs
}

// What netlink says of one namespace, in HostNamespace's terms.
struct Dumped {
  TcpCounts counts;
  std::vector<st::InetSocket> listeners;
};

bool DumpIn(const TestNamespace& ns, const std::vector<uint16_t>& remote, Dumped* out,
            std::string* error) {
  const int fd = netns::OpenNetlinkSocketIn(ns.path(), NETLINK_SOCK_DIAG, error, nullptr);
  if (fd < 0) return false;
  auto table = st::NetlinkSocketTable::Adopt(fd, procfs::Root("/proc", "/sys"), error);
  if (!table) return false;
  table->SetTcpInfo(true);  // each connection's RTT, which the walk reads too
  std::vector<st::InetSocket> all;
  const auto keep = [&all](const st::InetSocket& s) { all.push_back(s); };
  for (st::Family f : {st::Family::kIpv4, st::Family::kIpv6}) {
    const st::DumpResult r = table->DumpInet(st::Protocol::kTcp, f, st::kAllStates, keep);
    if (!r.ok) {
      *error = r.error;
      return false;
    }
  }
  std::vector<uint16_t> local;
  for (const auto& s : all) {
    if (s.state == st::kListen) {
      out->listeners.push_back(s);
      local.push_back(s.local_port);
    }
  }
  std::sort(local.begin(), local.end());
  local.erase(std::unique(local.begin(), local.end()), local.end());
  for (uint16_t p : local) out->counts.local_ports.push_back({p, {}, {}});
  for (uint16_t p : remote) out->counts.remote_ports.push_back({p, {}, {}});
  for (const auto& s : all) {
    if (s.state == st::kListen) continue;
    auto& f = out->counts.family[s.family == st::Family::kIpv6 ? 1 : 0];
    f.sockets[s.state] += 1;
    f.receive_queue[s.state] += s.receive_queue;
    f.send_queue[s.state] += s.send_queue;
    const uint32_t rtt = s.state == st::kEstablished ? s.rtt_us : 0;
    for (auto& p : out->counts.local_ports) {
      if (p.port != s.local_port) continue;
      p.sockets[s.state] += 1;
      p.rtt.Add(rtt);
    }
    for (auto& p : out->counts.remote_ports) {
      if (p.port != s.remote_port) continue;
      p.sockets[s.state] += 1;
      p.rtt.Add(rtt);
    }
  }
  return true;
}

auto Key(const st::InetSocket& s) {
  return std::make_tuple(s.family, s.local_port, s.local_address, s.bound_interface);
}

void ExpectSameListeners(std::vector<st::InetSocket> walked, std::vector<st::InetSocket> dumped) {
  auto by_key = [](const st::InetSocket& a, const st::InetSocket& b) { return Key(a) < Key(b); };
  std::sort(walked.begin(), walked.end(), by_key);
  std::sort(dumped.begin(), dumped.end(), by_key);
  ASSERT_EQ(walked.size(), dumped.size());
  for (size_t i = 0; i < walked.size(); ++i) {
    const auto &w = walked[i], &d = dumped[i];
    SCOPED_TRACE("listener on port " + std::to_string(d.local_port));
    EXPECT_EQ(Key(w), Key(d));
    EXPECT_EQ(w.state, st::kListen);
    EXPECT_EQ(w.protocol, st::Protocol::kTcp);
    EXPECT_EQ(w.receive_queue, d.receive_queue);
    EXPECT_EQ(w.send_queue, d.send_queue);
    EXPECT_EQ(w.uid, d.uid);
    EXPECT_EQ(w.inode, d.inode);
    EXPECT_NE(w.inode, 0u);
  }
}

// The connections are idle by now, so their smoothed RTTs stand still between the walk
// and the dump (tcp_info's tcpi_rtt is srtt_us >> 3, as the walk reads it).
void ExpectSameRtt(const RttSums& w, const RttSums& d, uint16_t port) {
  SCOPED_TRACE("RTT of port " + std::to_string(port));
  EXPECT_EQ(w.sockets, d.sockets);
  EXPECT_EQ(w.sum_us, d.sum_us);
  EXPECT_EQ(w.max_us, d.max_us);
}

void ExpectSameCounts(const TcpCounts& w, const TcpCounts& d) {
  for (size_t f = 0; f < 2; ++f) {
    for (size_t s = 0; s < kStates; ++s) {
      SCOPED_TRACE("family " + std::to_string(f) + " state " + std::to_string(s));
      EXPECT_EQ(w.family[f].sockets[s], d.family[f].sockets[s]);
      EXPECT_EQ(w.family[f].receive_queue[s], d.family[f].receive_queue[s]);
      EXPECT_EQ(w.family[f].send_queue[s], d.family[f].send_queue[s]);
    }
  }
  ASSERT_EQ(w.local_ports.size(), d.local_ports.size());
  for (size_t i = 0; i < w.local_ports.size(); ++i) {
    EXPECT_EQ(w.local_ports[i].port, d.local_ports[i].port);
    EXPECT_EQ(w.local_ports[i].sockets, d.local_ports[i].sockets) << d.local_ports[i].port;
    ExpectSameRtt(w.local_ports[i].rtt, d.local_ports[i].rtt, d.local_ports[i].port);
  }
  ASSERT_EQ(w.remote_ports.size(), d.remote_ports.size());
  for (size_t i = 0; i < w.remote_ports.size(); ++i) {
    EXPECT_EQ(w.remote_ports[i].port, d.remote_ports[i].port);
    EXPECT_EQ(w.remote_ports[i].sockets, d.remote_ports[i].sockets) << d.remote_ports[i].port;
    ExpectSameRtt(w.remote_ports[i].rtt, d.remote_ports[i].rtt, d.remote_ports[i].port);
  }
}

TEST(HostWalkKernel, MatchesNetlinkInEachNamespace) {
  std::string error;
  auto walk = HostWalk::Shared(&error);
  if (!walk) NETSTAT_SKIP_OR_FAIL_BPF("the BPF host walk: " + error);
  std::vector<std::unique_ptr<TestNamespace>> spaces;
  for (int i = 0; i < 3; ++i) {
    spaces.push_back(std::make_unique<TestNamespace>(i, i == 2));
    if (!spaces.back()->ok()) GTEST_SKIP() << "`ip netns add` failed";
    Populate(spaces.back().get(), i);
  }
  std::vector<uint64_t> inodes;
  std::vector<uint16_t> remote;
  for (auto& ns : spaces) {
    inodes.push_back(ns->inode());
    remote.push_back(ns->remote_port);
  }
  std::sort(remote.begin(), remote.end());
  remote.erase(std::unique(remote.begin(), remote.end()), remote.end());
  const uint64_t gone = 0xfffffff0;  // no namespace has it
  inodes.push_back(gone);
  std::vector<HostNamespace> out;
  ASSERT_TRUE(walk->Walk(inodes, remote, &out, &error)) << error;
  ASSERT_EQ(out.size(), inodes.size());
  std::map<uint64_t, const HostNamespace*> by_inode;
  for (const auto& ns : out) by_inode[ns.inode] = &ns;
  ASSERT_TRUE(by_inode.count(gone));
  EXPECT_FALSE(by_inode[gone]->complete);
  for (size_t i = 0; i < spaces.size(); ++i) {
    SCOPED_TRACE("namespace " + std::to_string(i));
    ASSERT_TRUE(by_inode.count(spaces[i]->inode()));
    const HostNamespace& w = *by_inode[spaces[i]->inode()];
    EXPECT_TRUE(w.complete);
    EXPECT_EQ(w.own_hash, i == 2);
    Dumped d;
    ASSERT_TRUE(DumpIn(*spaces[i], remote, &d, &error)) << error;
    EXPECT_EQ(d.listeners.size(), 4u);
    ExpectSameListeners(w.listeners, d.listeners);
    ExpectSameCounts(w.counts, d.counts);
    // What this test made is there: time-wait, close-wait, syn-recv, accept queue 1.
    EXPECT_GE(d.counts.family[0].sockets[st::kTimeWait], 1u);
    EXPECT_GE(d.counts.family[1].sockets[st::kCloseWait], 1u);
    EXPECT_GE(d.counts.family[0].sockets[st::kSynRecv], 1u);
    EXPECT_GE(d.counts.family[0].receive_queue[st::kEstablished], 5u);
    uint32_t with_rtt = 0;
    for (const auto& p : d.counts.local_ports) with_rtt += p.rtt.sockets;
    EXPECT_GE(with_rtt, 3u);  // the accepted ends of the established connections
  }
}

// While connections come and go in a namespace, every walk answers, and the sockets that
// stay are counted whenever the walk says it is complete.
TEST(HostWalkKernel, AnswersWhileConnectionsComeAndGo) {
  std::string error;
  auto walk = HostWalk::Shared(&error);
  if (!walk) NETSTAT_SKIP_OR_FAIL_BPF("the BPF host walk: " + error);
  TestNamespace ns(9, false);
  if (!ns.ok()) GTEST_SKIP() << "`ip netns add` failed";
  Populate(&ns, 0);  // 5 established v4 sockets at least, which stay
  std::atomic<bool> stop{false};
  std::thread churn([&] {
    const int fd = ::open(ns.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) return;
    ::close(fd);
    LoopbackListener l = ListenOnLoopback(AF_INET, 256);
    while (!stop) {
      auto c = ConnectAndAccept(l);
      for (int s : c)
        if (s >= 0) ::close(s);
    }
    ::close(l.fd);
  });
  int complete = 0;
  for (int i = 0; i < 40; ++i) {
    std::vector<HostNamespace> out;
    ASSERT_TRUE(walk->Walk({ns.inode()}, {}, &out, &error)) << error;
    ASSERT_EQ(out.size(), 1u);
    if (!out[0].complete) continue;
    ++complete;
    EXPECT_GE(out[0].counts.family[0].sockets[st::kEstablished], 5u);
    EXPECT_GE(out[0].listeners.size(), 4u);
  }
  stop = true;
  churn.join();
  EXPECT_GT(complete, 0);
}

}  // namespace
}  // namespace netstat::tcp_iter
