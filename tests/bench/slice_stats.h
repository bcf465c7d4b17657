// What the slice toggles (listener_events_toggle, tcp_health_bulk_toggle) share: this
// process's CPU time, which counts the kernel's work done in its syscalls, and the median
// of the per-slice-pair ratios.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <vector>

namespace netstat::bench {

// User + system seconds of this process so far.
inline double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// The middle value, or the mean of the two middle ones; `v` is not empty.
inline double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace netstat::bench
