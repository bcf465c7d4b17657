#include "daemon/collector_set.h"

#include <spdlog/spdlog.h>

#include "collectors/common/family_builder.h"

namespace netstat::daemon {
namespace {

std::string IntervalText(std::chrono::milliseconds ms) {
  if (ms.count() % 1000 == 0) return std::to_string(ms.count() / 1000) + "s";
  return std::to_string(ms.count()) + "ms";
}

}  // namespace

CollectorSet::CollectorSet(std::vector<Spec> specs) {
  for (auto& s : specs) {
    auto e = std::make_unique<Entry>();
    e->spec = std::move(s);
    entries_.push_back(std::move(e));
  }
}

CollectorSet::~CollectorSet() {
  {
    std::lock_guard lk(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void CollectorSet::StartBackground() {
  for (auto& e : entries_) {
    if (e->spec.interval.count() > 0)
      threads_.emplace_back(&CollectorSet::BackgroundLoop, this, e.get());
  }
}

std::vector<std::string> CollectorSet::Names() const {
  std::vector<std::string> names;
  for (const auto& e : entries_) names.push_back(e->spec.name);
  return names;
}

void CollectorSet::RunEntry(Entry* e) {
  std::lock_guard run_lock(e->run_mu);
  ++e->runs;
  auto run = std::make_shared<Run>();
  const auto start = std::chrono::steady_clock::now();
  std::string error;
  try {
    error = e->spec.collector->Collect(&run->families);
  } catch (const std::exception& ex) {  // the contract says never, but a scrape must answer
    error = std::string("unexpected exception: ") + ex.what();
    run->families.clear();
  }
  run->duration_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run->success = error.empty();
  if (e->spec.interval.count() > 0) {
    for (auto& f : run->families) {
      f.help += " (collected every " + IntervalText(e->spec.interval) +
                " in the background; the value of the latest run)";
    }
  }
  if (!e->logged_ok || *e->logged_ok != run->success) {
    if (!run->success) {
      spdlog::warn("collector {} failed: {}", e->spec.name, error);
    } else if (e->logged_ok) {
      spdlog::info("collector {} succeeds again", e->spec.name);
    }
    e->logged_ok = run->success;
  }
  std::lock_guard last_lock(e->last_mu);
  e->last = std::move(run);
}

void CollectorSet::BackgroundLoop(Entry* e) {
  std::unique_lock lk(stop_mu_);
  while (!stopping_) {
    lk.unlock();
    RunEntry(e);
    lk.lock();
    stop_cv_.wait_for(lk, e->spec.interval, [this] { return stopping_; });
  }
}

std::vector<prometheus::MetricFamily> CollectorSet::Scrape() {
  std::vector<prometheus::MetricFamily> out;
  collectors::FamilyBuilder duration("netstat_exporter_collector_duration_seconds",
                                     "Seconds the collector's latest run took.",
                                     prometheus::MetricType::Gauge);
  collectors::FamilyBuilder success("netstat_exporter_collector_success",
                                    "1 when the collector's latest run succeeded, else 0.",
                                    prometheus::MetricType::Gauge);
  // Scrapes that arrive together share one run, so this grows slower than the scrapes.
  collectors::FamilyBuilder runs("netstat_exporter_collector_runs_total",
                                 "Runs of the collector since the configuration was loaded.",
                                 prometheus::MetricType::Counter);
  for (auto& e : entries_) {
    std::shared_ptr<const Run> run;
    if (e->spec.interval.count() == 0) RunEntry(e.get());
    {
      std::lock_guard lk(e->last_mu);
      run = e->last;
    }
    if (!run) {  // a background collector that has not finished its first run yet
      RunEntry(e.get());
      std::lock_guard lk(e->last_mu);
      run = e->last;
    }
    out.insert(out.end(), run->families.begin(), run->families.end());
    duration.Add({{"collector", e->spec.name}}, run->duration_seconds);
    success.Add({{"collector", e->spec.name}}, run->success ? 1 : 0);
    runs.Add({{"collector", e->spec.name}}, static_cast<double>(e->runs.load()));
  }
  duration.MoveTo(&out);
  success.MoveTo(&out);
  runs.MoveTo(&out);
  return out;
}

}  // namespace netstat::daemon
