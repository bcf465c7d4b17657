#include "daemon/runner.h"

#include "daemon/self_metrics.h"

namespace netstat::daemon {
namespace {

thread_local std::chrono::steady_clock::time_point t_request_arrival{};

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

void Runner::MarkRequestArrival() { t_request_arrival = std::chrono::steady_clock::now(); }

void Runner::Install(std::shared_ptr<CollectorSet> set) {
  std::shared_ptr<CollectorSet> old;
  {
    std::lock_guard lk(mu_);
    old = std::move(set_);
    set_ = std::move(set);
    last_.reset();  // never serve the old configuration's result to a new request
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
}

std::vector<prometheus::MetricFamily> Runner::Collect() const {
  // Without a marked arrival (a direct call), the request arrives now.
  const Clock::time_point arrival =
      t_request_arrival == Clock::time_point{} ? Clock::now() : t_request_arrival;
  t_request_arrival = Clock::time_point{};
  std::shared_ptr<const std::vector<prometheus::MetricFamily>> result;
  {
    std::unique_lock lk(mu_);
    done_cv_.wait(lk, [&] { return !running_ || (last_ && last_finished_ >= arrival); });
    if (last_ && last_finished_ >= arrival) {
      result = last_;
    } else {
      running_ = true;
    }
  }
  if (!result) {
    std::vector<prometheus::MetricFamily> fresh;
    try {
      fresh = RunOnce();
    } catch (...) {
      // RunOnce only fails on allocation; keep the invariant and let the server answer 500.
      std::lock_guard lk(mu_);
      running_ = false;
      done_cv_.notify_all();
      throw;
    }
    auto shared = std::make_shared<const std::vector<prometheus::MetricFamily>>(std::move(fresh));
    {
      std::lock_guard lk(mu_);
      running_ = false;
      last_ = shared;
      last_finished_ = Clock::now();
    }
    done_cv_.notify_all();
    result = std::move(shared);
  }
  std::vector<prometheus::MetricFamily> out = *result;
  AppendBuildInfo(&out);
  AppendReloadStatus(reload_ok_, reload_success_time_, &out);
  AppendProcessMetrics(&out);
  return out;
}

std::vector<prometheus::MetricFamily> Runner::RunOnce() const {
  auto set = Current();
  if (!set) return {};
  return set->Scrape();
}

}  // namespace netstat::daemon
