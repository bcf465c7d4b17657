// The cost of reading every namespace's TCP and UDP sockets for `namespaces: {mode: all}`:
// one HostWalk (tcp_host.bpf.c, one walk of the host's TCP hashes and UDP tables) against
// netlink sock_diag dumps inside each namespace, as the exporter does today (TCP, and
// udp/udplite x ipv4/ipv6). Makes N
// namespaces of its own (unshare in a thread each), each with a v4 and a v6 loopback
// listener, CONNS connections (2 sockets each) and TW connections closed at once (their
// sockets linger in time-wait and fin-wait states for a minute, holding no descriptor:
// how 1,000 namespaces fit the descriptor limit), UDP bound UDP sockets (v4 and v6 in
// turn; the last one UDP-Lite when the kernel has it), and prints the medians of REPEAT
// alternated runs (wall time, or thread CPU time with NETSTAT_CPU=1):
//   host_walk_time [N=100] [CONNS=19] [REPEAT=11] [TW=0] [UDP=4]
//   -> "namespaces sockets_walked netlink_us walk_us udp_walked udp_netlink_us"
// walk_us is the whole Walk, UDP included; netlink_us the TCP dumps, udp_netlink_us the
// UDP and UDP-Lite ones.
#include <fcntl.h>
#include <linux/netlink.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "readers/netns/netlink_socket_in.h"
#include "readers/procfs/root.h"
#include "readers/socket_table/netlink_socket_table.h"
#include "readers/tcp_iter/host_walk.h"
#include "tests/unit/kernel_sockets.h"

namespace {

namespace st = netstat::socket_table;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

template <typename Fn>
double Micros(Fn fn) {
  static const bool cpu = std::getenv("NETSTAT_CPU") != nullptr;
  timespec c0{}, c1{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
  if (cpu) return (c1.tv_sec - c0.tv_sec) * 1e6 + (c1.tv_nsec - c0.tv_nsec) / 1e3;
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
}

// A namespace of our own: its fd (kept open), inode, and the sockets in it.
struct Namespace {
  int fd = -1;
  uint64_t inode = 0;
  std::vector<int> sockets;
};

Namespace Make(int conns, int tw, int udp) {
  Namespace ns;
  std::thread([&] {
    std::string error;
    if (!netstat::testing::EnterFreshNetns(&error)) {
      std::fprintf(stderr, "host_walk_time: %s\n", error.c_str());
      return;
    }
    ns.fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    struct stat s {};
    if (ns.fd >= 0 && fstat(ns.fd, &s) == 0) ns.inode = s.st_ino;
    for (int family : {AF_INET, AF_INET6}) {
      auto l = netstat::testing::ListenOnLoopback(family, 128);
      if (l.fd < 0) continue;
      ns.sockets.push_back(l.fd);
      for (int i = 0; i < conns / 2 + (family == AF_INET ? conns % 2 : 0); ++i) {
        auto c = netstat::testing::ConnectAndAccept(l);
        for (int fd : c)
          if (fd >= 0) ns.sockets.push_back(fd);
      }
      for (int i = 0; family == AF_INET && i < tw; ++i) {
        auto c = netstat::testing::ConnectAndAccept(l);
        for (int fd : c)
          if (fd >= 0) close(fd);
      }
    }
    for (int i = 0; i < udp; ++i) {
      const int family = i % 2 ? AF_INET6 : AF_INET;
      int fd = i == udp - 1 && udp > 1 ? socket(family, SOCK_DGRAM, IPPROTO_UDPLITE) : -1;
      if (fd < 0) fd = socket(family, SOCK_DGRAM, 0);
      sockaddr_storage at{};
      at.ss_family = static_cast<sa_family_t>(family);
      const socklen_t len = family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
      if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&at), len) == 0) {
        ns.sockets.push_back(fd);
      } else if (fd >= 0) {
        close(fd);
      }
    }
  }).join();
  return ns;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 100;
  const int conns = argc > 2 ? std::atoi(argv[2]) : 19;
  const int repeat = argc > 3 ? std::atoi(argv[3]) : 11;
  const int tw = argc > 4 ? std::atoi(argv[4]) : 0;
  const int udp = argc > 5 ? std::atoi(argv[5]) : 4;
  rlimit lim{1 << 20, 1 << 20};
  if (setrlimit(RLIMIT_NOFILE, &lim) != 0 && getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  std::string error;
  std::shared_ptr<netstat::tcp_iter::HostWalk> walk;
  const double load_us = Micros([&] { walk = netstat::tcp_iter::HostWalk::Shared(&error); });
  std::fprintf(stderr, "host_walk_time: loading took %.0f ms\n", load_us / 1000);
  if (!walk) {
    std::fprintf(stderr, "host_walk_time: %s\n", error.c_str());
    return 1;
  }
  std::vector<Namespace> namespaces;
  std::vector<uint64_t> inodes;
  std::vector<std::unique_ptr<st::NetlinkSocketTable>> tables;
  const netstat::procfs::Root root("/proc", "/sys");
  for (int i = 0; i < n; ++i) {
    namespaces.push_back(Make(conns, tw, udp));
    inodes.push_back(namespaces.back().inode);
    const std::string path = "/proc/self/fd/" + std::to_string(namespaces.back().fd);
    const int fd = netstat::netns::OpenNetlinkSocketIn(path, NETLINK_SOCK_DIAG, &error, nullptr);
    auto table = fd >= 0 ? st::NetlinkSocketTable::Adopt(fd, root, &error) : nullptr;
    if (!table) {
      std::fprintf(stderr, "host_walk_time: %s\n", error.c_str());
      return 1;
    }
    tables.push_back(std::move(table));
  }
  usleep(200000);  // the last FINs and ACKs
  std::vector<double> netlink_us, walk_us, udp_netlink_us;
  uint64_t walked = 0, dumped = 0, udp_walked = 0, udp_dumped = 0;
  int incomplete = 0, udp_incomplete = 0;
  for (int r = 0; r < repeat; ++r) {
    dumped = 0;
    const auto count = [&dumped](const st::InetSocket&) { ++dumped; };
    netlink_us.push_back(Micros([&] {
      for (auto& t : tables) {
        st::DumpResult result;
        if (!t->DumpInetBothFamilies(st::Protocol::kTcp, st::kAllStates, count, &result)) {
          for (st::Family f : {st::Family::kIpv4, st::Family::kIpv6}) {
            t->DumpInet(st::Protocol::kTcp, f, st::kAllStates, count);
          }
        }
      }
    }));
    udp_dumped = 0;
    const auto count_udp = [&udp_dumped](const st::InetSocket&) { ++udp_dumped; };
    udp_netlink_us.push_back(Micros([&] {
      for (auto& t : tables) {
        for (st::Protocol p : {st::Protocol::kUdp, st::Protocol::kUdpLite}) {
          for (st::Family f : {st::Family::kIpv4, st::Family::kIpv6}) {
            t->DumpInet(p, f, st::kAllStates, count_udp);
          }
        }
      }
    }));
    std::vector<netstat::tcp_iter::HostNamespace> out;
    bool ok = false;
    walk_us.push_back(Micros([&] { ok = walk->Walk(inodes, {5432}, &out, &error); }));
    if (!ok) {
      std::fprintf(stderr, "host_walk_time: %s\n", error.c_str());
      return 1;
    }
    walked = udp_walked = 0;
    incomplete = udp_incomplete = 0;
    for (const auto& ns : out) {
      incomplete += !ns.complete;
      udp_incomplete += !ns.udp_complete;
      udp_walked += ns.udp.size();
      walked += ns.listeners.size();
      for (const auto& f : ns.counts.family)
        for (uint64_t s : f.sockets) walked += s;
    }
  }
  const auto stats = walk->last_stats();
  std::fprintf(stderr,
               "host_walk_time: %llu TCP + %llu UDP sockets dumped, %d + %d incomplete, %llu "
               "ehash + %llu lhash + %llu udp + %llu udplite buckets, %llu namespaces in the "
               "list, %u runs\n",
               static_cast<unsigned long long>(dumped), static_cast<unsigned long long>(udp_dumped),
               incomplete, udp_incomplete, static_cast<unsigned long long>(stats.ehash_buckets),
               static_cast<unsigned long long>(stats.lhash_buckets),
               static_cast<unsigned long long>(stats.udp_buckets),
               static_cast<unsigned long long>(stats.udplite_buckets),
               static_cast<unsigned long long>(stats.nets_seen), stats.runs);
  std::printf("%d %llu %.0f %.0f %llu %.0f\n", n, static_cast<unsigned long long>(walked),
              Median(netlink_us), Median(walk_us), static_cast<unsigned long long>(udp_walked),
              Median(udp_netlink_us));
  return 0;
}
