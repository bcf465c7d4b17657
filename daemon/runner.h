// Runs the current CollectorSet for the HTTP server and lets concurrent scrapes share one
// run: a scrape that arrives while a run is in flight waits for it and serves its result
// instead of starting another. Each run is serialised once (Exposition), with the
// exporter's own metrics as of that run.
#pragma once

#include <prometheus/metric_family.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "daemon/collector_set.h"
#include "daemon/exposition.h"

namespace netstat::daemon {

class Runner {
 public:
  using Clock = std::chrono::steady_clock;

  void Install(std::shared_ptr<CollectorSet> set);
  std::shared_ptr<CollectorSet> Current() const;
  void SetReloadStatus(bool ok);

  // The answer for a request that arrived at `arrival`: the result of a run that ended
  // after it, waiting for (or starting) one when there is none. Throws only on allocation.
  std::shared_ptr<const Exposition> Expose(Clock::time_point arrival) const;
  // One fresh run (for --once): every family, the exporter's own included.
  std::vector<prometheus::MetricFamily> Collect() const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable done_cv_;
  std::shared_ptr<CollectorSet> set_;
  mutable bool running_ = false;
  mutable Clock::time_point last_finished_{};
  mutable std::shared_ptr<const Exposition> last_;
  uint64_t generation_ = 0;  // bumped by Install and SetReloadStatus, under mu_
  std::atomic<bool> reload_ok_{true};
  std::atomic<double> reload_success_time_{0};
};

}  // namespace netstat::daemon
