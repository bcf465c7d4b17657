// netstat_bench_owner_walk: the BPF owner walk (readers/owners) alone, in-process: loads
// it, then times RUNS reads of every socket fd of the host. Prints "seconds processes
// files sockets" (the median read), or "- 0 0 0" when it cannot load (the reason on
// stderr). "kinds": fill each socket's family, protocol, type and state too.
// Root (CAP_BPF, CAP_PERFMON).
//   netstat_bench_owner_walk [RUNS] [kinds]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "readers/owners/owner_walk.h"

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  const bool kinds = argc > 2 && std::string(argv[2]) == "kinds";
  std::string error;
  auto walker = netstat::owners::OwnerWalk::Shared(&error);
  if (!walker) {
    std::fprintf(stderr, "owner walk: %s\n", error.c_str());
    std::printf("- 0 0 0\n");
    return 0;
  }
  std::vector<double> times;
  netstat::owners::HostWalk walk;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    if (!walker->Read(&walk, &error, kinds)) {
      std::fprintf(stderr, "owner walk: %s\n", error.c_str());
      return 1;
    }
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  std::printf("%.6f %zu %llu %zu\n", times[times.size() / 2], walk.processes.size(),
              static_cast<unsigned long long>(walk.files), walk.fds.size());
  return 0;
}
