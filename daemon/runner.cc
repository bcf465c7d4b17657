#include "daemon/runner.h"

#include "daemon/self_metrics.h"

namespace netstat::daemon {
namespace {

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

void Runner::Install(std::shared_ptr<CollectorSet> set) {
  std::shared_ptr<CollectorSet> old;
  {
    std::lock_guard lk(mu_);
    old = std::move(set_);
    set_ = std::move(set);
    last_.reset();  // never serve the old configuration's result to a new request
    ++generation_;  // nor that of a run still in flight
  }
  // `old` stops its background threads here, outside the lock (a run in flight keeps
  // its own reference and finishes).
}

std::shared_ptr<CollectorSet> Runner::Current() const {
  std::lock_guard lk(mu_);
  return set_;
}

void Runner::SetReloadStatus(bool ok) {
  reload_ok_ = ok;
  if (ok) reload_success_time_ = UnixNow();
  std::lock_guard lk(mu_);
  last_.reset();  // the status is part of the answer
  ++generation_;
}

std::vector<prometheus::MetricFamily> Runner::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  if (auto set = Current()) out = set->Scrape();
  AppendBuildInfo(&out);
  AppendReloadStatus(reload_ok_, reload_success_time_, &out);
  // Once per run, not per request: counting the open fds lists /proc/self/fd, whose cost
  // grows with the connections open, so per request it grew with their square.
  AppendProcessMetrics(&out);
  return out;
}

std::shared_ptr<const Exposition> Runner::Expose(Clock::time_point arrival) const {
  uint64_t generation = 0;
  {
    std::unique_lock lk(mu_);
    done_cv_.wait(lk, [&] { return !running_ || (last_ && last_finished_ >= arrival); });
    if (last_ && last_finished_ >= arrival) return last_;
    running_ = true;
    generation = generation_;
  }
  std::shared_ptr<const Exposition> fresh;
  try {
    fresh = std::make_shared<const Exposition>(Collect());
  } catch (...) {
    // Only allocation fails here; keep the invariant and let the server answer 500.
    std::lock_guard lk(mu_);
    running_ = false;
    done_cv_.notify_all();
    throw;
  }
  {
    std::lock_guard lk(mu_);
    running_ = false;
    // A reload during the run: this request gets the run it waited for, later ones not.
    if (generation == generation_) {
      last_ = fresh;
      last_finished_ = Clock::now();
    }
  }
  done_cv_.notify_all();
  return fresh;
}

}  // namespace netstat::daemon
