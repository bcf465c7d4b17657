// The real tcp_host.bpf.c's UDP walk (root and kernel BTF; skipped where it cannot load):
// UDP and UDP-Lite sockets of both families in namespaces made by `ip netns add`, read by
// one HostWalk and compared field by field with a netlink sock_diag dump made inside
// each, a namespace with a UDP table of its own (udp_child_hash_entries) among them.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "readers/netns/netlink_socket_in.h"
#include "readers/procfs/root.h"
#include "readers/socket_table/netlink_socket_table.h"
#include "readers/socket_table/procfs_socket_table.h"
#include "readers/tcp_iter/host_walk.h"

namespace netstat::tcp_iter {
namespace {

namespace st = socket_table;

std::string ReadLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// `ip netns add` for the life of the object; with own_table, made while
// net.ipv4.udp_child_hash_entries is 256 (restored at once).
class UdpNamespace {
 public:
  UdpNamespace(int i, bool own_table)
      : name_("netstat_hwu_" + std::to_string(::getpid()) + "_" + std::to_string(i)) {
    const std::string sysctl = "/proc/sys/net/ipv4/udp_child_hash_entries";
    const std::string old = own_table ? ReadLine(sysctl) : "";
    if (own_table && !old.empty()) std::ofstream(sysctl) << "256\n";
    own_table_ = own_table && !old.empty();
    ok_ = std::system(("ip netns add " + name_).c_str()) == 0;
    if (own_table_) std::ofstream(sysctl) << old << "\n";
    ok_ = ok_ && std::system(("ip -n " + name_ + " link set lo up").c_str()) == 0;
    struct stat s {};
    if (ok_ && ::stat(path().c_str(), &s) == 0) inode_ = s.st_ino;
  }
  ~UdpNamespace() {
    for (int fd : fds) ::close(fd);
    std::system(("ip netns delete " + name_ + " 2>/dev/null").c_str());
  }
  UdpNamespace(const UdpNamespace&) = delete;
  UdpNamespace& operator=(const UdpNamespace&) = delete;
  bool ok() const { return ok_ && inode_ != 0; }
  bool own_table() const { return own_table_; }
  std::string path() const { return "/run/netns/" + name_; }
  uint64_t inode() const { return inode_; }

  std::vector<int> fds;
  bool have_lite = false;

 private:
  std::string name_;
  bool ok_ = false, own_table_ = false;
  uint64_t inode_ = 0;
};

// A socket of `family`/`protocol` bound to the loopback address (or the wildcard),
// with its address in *at; -1 when it failed.
int Bound(int family, int protocol, bool loopback, sockaddr_storage* at, socklen_t* len) {
  const int fd = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, protocol);
  if (fd < 0) return -1;
  *at = {};
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(at);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(loopback ? INADDR_LOOPBACK : INADDR_ANY);
    *len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(at);
    a->sin6_family = AF_INET6;
    a->sin6_addr = loopback ? in6addr_loopback : in6addr_any;
    *len = sizeof *a;
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(at), *len) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(at), len) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Per family and protocol (UDP, and UDP-Lite when the kernel has it): a socket bound
// to loopback that holds `extra` + 2 unread datagrams, a connected one that sent them,
// a wildcard one bound to lo, and one never bound (in no table); a dual-stack v6 socket.
void Populate(UdpNamespace* ns, int extra) {
  std::thread([ns, extra] {
    const int fd = ::open(ns->path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) return;
    ::close(fd);
    auto keep = [ns](int s) {
      if (s >= 0) ns->fds.push_back(s);
      return s;
    };
    const int probe = ::socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE);
    ns->have_lite = probe >= 0;
    if (probe >= 0) ::close(probe);
    for (int protocol : {IPPROTO_UDP, IPPROTO_UDPLITE}) {
      if (protocol == IPPROTO_UDPLITE && !ns->have_lite) continue;
      for (int family : {AF_INET, AF_INET6}) {
        sockaddr_storage at{}, other{};
        socklen_t len = 0, other_len = 0;
        const int server = keep(Bound(family, protocol, true, &at, &len));
        const int client = keep(Bound(family, protocol, true, &other, &other_len));
        if (server < 0 || client < 0) continue;
        ::connect(client, reinterpret_cast<sockaddr*>(&at), len);
        for (int i = 0; i < 2 + extra; ++i) (void)!::send(client, "datagram", 8, 0);
        // One datagram read: udp_diag then subtracts the forward deficit it leaves.
        char buf[16];
        if (extra > 0) (void)!::recv(server, buf, sizeof buf, MSG_DONTWAIT);
        const int dev = keep(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, protocol));
        ::setsockopt(dev, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3);
        sockaddr_storage any{};
        socklen_t any_len = 0;
        const int wild = keep(Bound(family, protocol, false, &any, &any_len));
        (void)wild;
        if (family == AF_INET)
          reinterpret_cast<sockaddr_in*>(&any)->sin_port = 0;
        else
          reinterpret_cast<sockaddr_in6*>(&any)->sin6_port = 0;
        ::bind(dev, reinterpret_cast<sockaddr*>(&any), any_len);      // any port, on lo
        keep(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, protocol));  // never bound
      }
    }
    // Raw sockets of protocol 253 (for experiments), per family: one bound to loopback
    // that receives the `extra` + 1 packets a second, connected one sends it, and one
    // bound to lo. Raw delivery gives a copy to every socket of the protocol.
    for (int family : {AF_INET, AF_INET6}) {
      sockaddr_storage at{};
      socklen_t len = 0;
      const int bound = keep(::socket(family, SOCK_RAW | SOCK_CLOEXEC, 253));
      const int sender = keep(::socket(family, SOCK_RAW | SOCK_CLOEXEC, 253));
      const int dev = keep(::socket(family, SOCK_RAW | SOCK_CLOEXEC, 253));
      if (bound < 0 || sender < 0 || dev < 0) continue;
      if (family == AF_INET) {
        auto* a = reinterpret_cast<sockaddr_in*>(&at);
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
      } else {
        auto* a = reinterpret_cast<sockaddr_in6*>(&at);
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof *a;
      }
      ::bind(bound, reinterpret_cast<sockaddr*>(&at), len);
      ::setsockopt(dev, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3);
      ::connect(sender, reinterpret_cast<sockaddr*>(&at), len);
      for (int i = 0; i < 1 + extra; ++i) (void)!::send(sender, "raw", 3, 0);
    }
    const int dual = keep(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    int off = 0;
    ::setsockopt(dual, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    sockaddr_in6 any6{};
    any6.sin6_family = AF_INET6;
    ::bind(dual, reinterpret_cast<sockaddr*>(&any6), sizeof any6);
  }).join();
  usleep(20000);
}

bool DumpIn(const UdpNamespace& ns, std::vector<st::InetSocket>* out, std::string* error) {
  const int fd = netns::OpenNetlinkSocketIn(ns.path(), NETLINK_SOCK_DIAG, error, nullptr);
  if (fd < 0) return false;
  auto table = st::NetlinkSocketTable::Adopt(fd, procfs::Root("/proc", "/sys"), error);
  if (!table) return false;
  const auto keep = [out](const st::InetSocket& s) { out->push_back(s); };
  for (st::Protocol p : {st::Protocol::kUdp, st::Protocol::kUdpLite}) {
    for (st::Family f : {st::Family::kIpv4, st::Family::kIpv6}) {
      const st::DumpResult r = table->DumpInet(p, f, st::kAllStates, keep);
      if (!r.ok && r.supported) {
        *error = r.error;
        return false;
      }
    }
  }
  return true;
}

// The namespace's raw sockets as /proc/net/raw{,6} show them (this kernel has no
// raw_diag), read by a thread inside it: /proc/thread-self/net is that thread's.
bool RawIn(const UdpNamespace& ns, std::vector<st::InetSocket>* out, std::string* error) {
  bool ok = false;
  std::thread([&] {
    const int fd = ::open(ns.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
      *error = "setns";
      return;
    }
    ::close(fd);
    st::ProcfsSocketTable table(procfs::Root("/proc/thread-self", ""));
    const auto keep = [out](const st::InetSocket& s) {
      out->push_back(s);
      out->back().bound_interface = 0;  // /proc/net/raw does not show it; the walk does
    };
    for (st::Family f : {st::Family::kIpv4, st::Family::kIpv6}) {
      const st::DumpResult r = table.DumpInet(st::Protocol::kRaw, f, st::kAllStates, keep);
      if (!r.ok) {
        *error = r.error;
        return;
      }
    }
    ok = true;
  }).join();
  return ok;
}

auto Fields(const st::InetSocket& s) {
  return std::make_tuple(s.protocol, s.family, s.state, s.local_port, s.remote_port,
                         s.local_address, s.remote_address, s.receive_queue, s.send_queue, s.uid,
                         s.inode, s.bound_interface);
}

std::string Show(const st::InetSocket& s) {
  return "proto " + std::to_string(int(s.protocol)) + " family " + std::to_string(int(s.family)) +
         " state " + std::to_string(s.state) + " " + std::to_string(s.local_port) + "->" +
         std::to_string(s.remote_port) + " rq " + std::to_string(s.receive_queue) + " wq " +
         std::to_string(s.send_queue) + " uid " + std::to_string(s.uid) + " inode " +
         std::to_string(s.inode) + " dev " + std::to_string(s.bound_interface);
}

void ExpectSame(std::vector<st::InetSocket> walked, std::vector<st::InetSocket> dumped) {
  auto less = [](const st::InetSocket& a, const st::InetSocket& b) {
    return Fields(a) < Fields(b);
  };
  std::sort(walked.begin(), walked.end(), less);
  std::sort(dumped.begin(), dumped.end(), less);
  EXPECT_EQ(walked.size(), dumped.size());
  std::string w_text, d_text;
  for (const auto& s : walked) w_text += Show(s) + "\n";
  for (const auto& s : dumped) d_text += Show(s) + "\n";
  for (size_t i = 0; i < std::min(walked.size(), dumped.size()); ++i) {
    EXPECT_TRUE(Fields(walked[i]) == Fields(dumped[i]))
        << "walked " << Show(walked[i]) << "\ndumped " << Show(dumped[i]);
  }
  if (walked.size() != dumped.size())
    ADD_FAILURE() << "walked:\n" << w_text << "dumped:\n" << d_text;
}

TEST(HostWalkUdpKernel, MatchesNetlinkInEachNamespace) {
  std::string error;
  auto walk = HostWalk::Shared(&error);
  if (!walk) GTEST_SKIP() << "the BPF host walk cannot load here: " << error;
  std::vector<std::unique_ptr<UdpNamespace>> spaces;
  for (int i = 0; i < 4; ++i) {
    spaces.push_back(std::make_unique<UdpNamespace>(i, i == 3));
    if (!spaces.back()->ok()) GTEST_SKIP() << "`ip netns add` failed";
    Populate(spaces.back().get(), i);
  }
  std::vector<uint64_t> inodes;
  for (auto& ns : spaces) inodes.push_back(ns->inode());
  const uint64_t gone = 0xfffffff0;
  inodes.push_back(gone);
  std::vector<HostNamespace> out;
  ASSERT_TRUE(walk->Walk(inodes, {}, &out, &error)) << error;
  const auto stats = walk->last_stats();
  EXPECT_GT(stats.udp_buckets, 0u);
  EXPECT_EQ(stats.own_udp_tables, spaces[3]->own_table() ? 1u : 0u);
  std::map<uint64_t, const HostNamespace*> by_inode;
  for (const auto& ns : out) by_inode[ns.inode] = &ns;
  ASSERT_TRUE(by_inode.count(gone));
  EXPECT_FALSE(by_inode[gone]->udp_complete);
  for (size_t i = 0; i < spaces.size(); ++i) {
    SCOPED_TRACE("namespace " + std::to_string(i));
    ASSERT_TRUE(by_inode.count(spaces[i]->inode()));
    const HostNamespace& w = *by_inode[spaces[i]->inode()];
    ASSERT_TRUE(w.udp_complete);
    std::vector<st::InetSocket> d;
    ASSERT_TRUE(DumpIn(*spaces[i], &d, &error)) << error;
    const size_t per_protocol = 2 * 4;  // server, client, on lo, wildcard; per family
    EXPECT_EQ(d.size(), per_protocol * (spaces[i]->have_lite ? 2 : 1) + 1);
    ExpectSame(w.udp, d);
    uint32_t queued = 0, connected = 0, lite = 0, v6 = 0, on_dev = 0;
    for (const auto& s : d) {
      queued += s.receive_queue > 0;
      connected += s.state == st::kEstablished;
      lite += s.protocol == st::Protocol::kUdpLite;
      v6 += s.family == st::Family::kIpv6;
      on_dev += s.bound_interface != 0;
    }
    EXPECT_GE(queued, 2u);
    EXPECT_GE(connected, 2u);
    EXPECT_GE(v6, 4u);
    EXPECT_GE(on_dev, 2u);
    if (spaces[i]->have_lite) {
      EXPECT_EQ(lite, per_protocol);
    }
    // Raw: three sockets per family, one of them connected, the bound one with packets.
    ASSERT_TRUE(w.raw_complete);
    std::vector<st::InetSocket> procfs_raw, walked_raw = w.raw;
    ASSERT_TRUE(RawIn(*spaces[i], &procfs_raw, &error)) << error;
    EXPECT_EQ(procfs_raw.size(), 6u);
    uint32_t raw_on_dev = 0, raw_queued = 0, raw_connected = 0;
    for (auto& s : walked_raw) {
      raw_on_dev += s.bound_interface != 0;
      raw_queued += s.receive_queue > 0;
      raw_connected += s.state == st::kEstablished;
      s.bound_interface = 0;
    }
    ExpectSame(walked_raw, procfs_raw);
    EXPECT_EQ(raw_on_dev, 2u);
    EXPECT_GE(raw_queued, 2u);
    EXPECT_EQ(raw_connected, 2u);
  }
}

// While UDP sockets are bound and closed in a namespace, every walk answers, and the
// sockets that stay are all there whenever the walk says its UDP is complete.
TEST(HostWalkUdpKernel, AnswersWhileSocketsComeAndGo) {
  std::string error;
  auto walk = HostWalk::Shared(&error);
  if (!walk) GTEST_SKIP() << "the BPF host walk cannot load here: " << error;
  UdpNamespace ns(8, false);
  if (!ns.ok()) GTEST_SKIP() << "`ip netns add` failed";
  Populate(&ns, 0);
  std::vector<st::InetSocket> stay;
  ASSERT_TRUE(DumpIn(ns, &stay, &error)) << error;
  ASSERT_FALSE(stay.empty());
  std::atomic<bool> stop{false};
  std::thread churn([&] {
    const int fd = ::open(ns.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) return;
    ::close(fd);
    while (!stop) {
      int s[8];
      for (int& x : s) {
        sockaddr_storage at{};
        socklen_t len = 0;
        x = Bound(&x - s < 4 ? AF_INET : AF_INET6, IPPROTO_UDP, true, &at, &len);
      }
      for (int x : s)
        if (x >= 0) ::close(x);
    }
  });
  int complete = 0;
  for (int i = 0; i < 40; ++i) {
    std::vector<HostNamespace> out;
    ASSERT_TRUE(walk->Walk({ns.inode()}, {}, &out, &error)) << error;
    ASSERT_EQ(out.size(), 1u);
    if (!out[0].udp_complete) continue;
    ++complete;
    std::set<uint64_t> inodes;
    for (const auto& s : out[0].udp) inodes.insert(s.inode);
    for (const auto& s : stay) EXPECT_TRUE(inodes.count(s.inode)) << Show(s);
  }
  stop = true;
  churn.join();
  EXPECT_GT(complete, 0);
}

}  // namespace
}  // namespace netstat::tcp_iter
