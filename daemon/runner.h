// The one Collectable the HTTP server knows. Runs the current CollectorSet on scrape and
// lets concurrent scrapes share one run: a scrape that arrives while a run is in flight
// waits for it and serves its result instead of starting another.
#pragma once

#include <prometheus/collectable.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "daemon/collector_set.h"

namespace netstat::daemon {

class Runner : public prometheus::Collectable {
 public:
  // Called by the HTTP layer when a request arrives, on the thread that will serve it,
  // before any lock: a run that ends after this moment is fresh enough for the request.
  static void MarkRequestArrival();

  void Install(std::shared_ptr<CollectorSet> set);
  std::shared_ptr<CollectorSet> Current() const;
  void SetReloadStatus(bool ok);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  using Clock = std::chrono::steady_clock;

  std::vector<prometheus::MetricFamily> RunOnce() const;

  mutable std::mutex mu_;
  mutable std::condition_variable done_cv_;
  std::shared_ptr<CollectorSet> set_;
  mutable bool running_ = false;
  mutable Clock::time_point last_finished_{};
  mutable std::shared_ptr<const std::vector<prometheus::MetricFamily>> last_;
  std::atomic<bool> reload_ok_{true};
  std::atomic<double> reload_success_time_{0};
};

}  // namespace netstat::daemon
