// BPF overhead on connections, measured in slices: one of the exporter's BPF programs (the
// same skeleton: listener_events, or tcp_health when built with NETSTAT_TOGGLE_TCP_HEALTH)
// is loaded once, then attached and detached every SLICE_MS while one process
// runs loopback connect/accept/close as fast as it can; with and without alternate, so
// that whatever else the machine does hits both alike. Prints, for each state, the
// connections, wall and CPU seconds (user + system: the program runs in the syscalls),
// and the ratios with/without (of the sums, and the median of adjacent slice pairs).
//   listener_events_toggle SECONDS_EACH [SLICE_MS]     (root, or CAP_BPF + CAP_PERFMON)
// Every connection closes with a reset (no TIME_WAIT), so tcp_health's hooks all run:
// open, connect, close with its histograms and bytes, a reset each way.
#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "tests/bench/slice_stats.h"

#if NETSTAT_TOGGLE_TCP_HEALTH
#include "tcp_health.skel.h"
using Skeleton = tcp_health_bpf;
#define SKEL(f) tcp_health_bpf__##f
#else
#include "listener_events.skel.h"
using Skeleton = listener_events_bpf;
#define SKEL(f) listener_events_bpf__##f
#endif

namespace {

using Clock = std::chrono::steady_clock;
using netstat::bench::CpuSeconds;
using netstat::bench::Median;

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "listener_events_toggle: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

struct Slice {
  long connections = 0;
  double wall = 0, cpu = 0;
};

// connect/accept/close on loopback until `ms` have passed.
Slice Run(int listener, const sockaddr_in& to, int ms) {
  Slice s;
  const auto start = Clock::now();
  const double cpu0 = CpuSeconds();
  const auto end = start + std::chrono::milliseconds(ms);
  const linger rst{1, 0};  // RST, no TIME_WAIT: ports last for the whole run
  while (Clock::now() < end) {
    for (int i = 0; i < 20; ++i) {
      const int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (c < 0) Die("socket");
      if (connect(c, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) Die("connect");
      const int a = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (a < 0) Die("accept");
      setsockopt(c, SOL_SOCKET, SO_LINGER, &rst, sizeof rst);
      close(c);
      close(a);
    }
    s.connections += 20;
  }
  s.wall = std::chrono::duration<double>(Clock::now() - start).count();
  s.cpu = CpuSeconds() - cpu0;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s SECONDS_EACH [SLICE_MS]\n", argv[0]);
    return 2;
  }
  const int seconds = std::atoi(argv[1]);
  const int slice_ms = argc > 2 ? std::atoi(argv[2]) : 500;
  const int pairs = std::max(1, seconds * 1000 / slice_ms);

  Skeleton* skel = SKEL(open_and_load)();
  if (skel == nullptr) Die("loading the BPF program");

  const int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (l < 0 || bind(l, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(l, 128) != 0 || getsockname(l, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Die("listener");
  }

  Slice with, without;
  std::vector<double> wall_ratio, cpu_ratio;
  for (int p = 0; p < pairs; ++p) {
    Slice s[2];  // [0] without, [1] with; which goes first alternates
    for (int k = 0; k < 2; ++k) {
      const bool attach = (k == 0) == (p % 2 == 1);
      if (attach && SKEL(attach)(skel) != 0) Die("attach");
      s[attach] = Run(l, addr, slice_ms);
      if (attach) SKEL(detach)(skel);
    }
    for (int i = 0; i < 2; ++i) {
      Slice& sum = i ? with : without;
      sum.connections += s[i].connections;
      sum.wall += s[i].wall;
      sum.cpu += s[i].cpu;
    }
    wall_ratio.push_back((s[1].connections / s[1].wall) / (s[0].connections / s[0].wall));
    cpu_ratio.push_back((s[1].connections / s[1].cpu) / (s[0].connections / s[0].cpu));
  }
  SKEL(destroy)(skel);
  std::printf("without connections %ld wall %.2f cpu %.2f per_second %.0f per_cpu_second %.0f\n",
              without.connections, without.wall, without.cpu, without.connections / without.wall,
              without.connections / without.cpu);
  std::printf("with connections %ld wall %.2f cpu %.2f per_second %.0f per_cpu_second %.0f\n",
              with.connections, with.wall, with.cpu, with.connections / with.wall,
              with.connections / with.cpu);
  std::printf("ratio sum_wall %.3f sum_cpu %.3f median_pair_wall %.3f median_pair_cpu %.3f\n",
              (with.connections / with.wall) / (without.connections / without.wall),
              (with.connections / with.cpu) / (without.connections / without.cpu),
              Median(wall_ratio), Median(cpu_ratio));
  return 0;
}
