// The auto crossover of sockets.source: in this process's network namespace, the time of
// what the two sources do differently, alternated REPEAT times: the netlink sock_diag
// dump of the TCP sockets other than listeners (both families, decoded and counted as the
// exporter does) and one count in the kernel by BPF, as the exporter counts (the hash
// walk where it loads), and by the iter/tcp program it falls back to. Prints
// "tcp_sockets netlink_us bpf_us iter_us" (medians); "-" for what cannot load.
//   tcp_iter_time [REPEAT] [bpf]   ("bpf": the BPF counts only, to profile them)
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "readers/procfs/root.h"
#include "readers/socket_table/socket_table.h"
#include "readers/tcp_iter/tcp_iter_counter.h"

namespace {

namespace st = netstat::socket_table;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty()      ? 0
         : v.size() % 2 ? v[v.size() / 2]
                        : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

double CpuMicros() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

// Wall time, or with NETSTAT_CPU=1 in the environment this thread's CPU time (user and
// kernel: on a loaded machine the walks are preempted, and wall time shows the others).
template <typename Fn>
double Micros(Fn fn) {
  static const bool cpu = std::getenv("NETSTAT_CPU") != nullptr;
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = CpuMicros();
  fn();
  if (cpu) return CpuMicros() - c0;
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int repeat = argc > 1 ? std::atoi(argv[1]) : 21;
  const bool bpf_only = argc > 2 && std::string(argv[2]) == "bpf";
  auto table = st::OpenSocketTable(netstat::procfs::Root("/proc", "/sys"), true);
  std::string error;
  auto counter = netstat::tcp_iter::TcpIterCounter::Shared(&error);
  if (!counter) std::fprintf(stderr, "tcp_iter_time: no BPF iterator: %s\n", error.c_str());
  const uint32_t states = st::kAllStates & ~st::StateBit(st::kListen);
  std::vector<double> netlink, bpf, iter;
  uint64_t sockets = 0;
  for (int i = 0; i < repeat; ++i) {
    uint64_t n = 0;
    const auto count = [&n](const st::InetSocket&) { ++n; };
    if (!bpf_only)
      netlink.push_back(Micros([&] {
        st::DumpResult r;
        if (!table->DumpInetBothFamilies(st::Protocol::kTcp, states, count, &r)) {
          for (st::Family f : {st::Family::kIpv4, st::Family::kIpv6}) {
            table->DumpInet(st::Protocol::kTcp, f, states, count);
          }
        }
      }));
    sockets = n;
    if (!counter) continue;
    netstat::tcp_iter::TcpCounts counts;
    bpf.push_back(Micros([&] { counter->Count({80, 443}, {5432}, &counts, &error); }));
    if (!counter->has_walk()) continue;
    counter->force_iterator(true);
    iter.push_back(Micros([&] { counter->Count({80, 443}, {5432}, &counts, &error); }));
    counter->force_iterator(false);
  }
  if (counter) {
    std::printf("%llu %.0f %.0f ", static_cast<unsigned long long>(sockets), Median(netlink),
                Median(bpf));
    std::printf(iter.empty() ? "-\n" : "%.0f\n", Median(iter));
  } else {
    std::printf("%llu %.0f - -\n", static_cast<unsigned long long>(sockets), Median(netlink));
  }
  return 0;
}
