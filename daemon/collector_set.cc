#include "daemon/collector_set.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "collectors/common/family_builder.h"
#include "collectors/common/namespace_families.h"

namespace netstat::daemon {
namespace {

std::string IntervalText(std::chrono::milliseconds ms) {
  if (ms.count() % 1000 == 0) return std::to_string(ms.count() / 1000) + "s";
  return std::to_string(ms.count()) + "ms";
}

}  // namespace

CollectorSet::CollectorSet(std::vector<Spec> specs, const ReadingFactory& make_reading) {
  for (auto& s : specs) {
    auto e = std::make_unique<Entry>();
    e->spec = std::move(s);
    e->consumer = dynamic_cast<socket_reading::SocketConsumer*>(e->spec.collector.get());
    Unit* unit = nullptr;
    if (e->consumer != nullptr) {  // join the reading unit of the same schedule
      for (auto& u : units_) {
        if (u->reading && u->interval == e->spec.interval) unit = u.get();
      }
    }
    if (unit == nullptr) {
      units_.push_back(std::make_unique<Unit>());
      unit = units_.back().get();
      unit->interval = e->spec.interval;
      if (e->consumer != nullptr) {
        unit->reading = make_reading();
        // One unit publishes the namespace families, or they would appear twice.
        unit->publishes_namespaces = std::none_of(
            units_.begin(), units_.end() - 1, [](const auto& u) { return u->reading != nullptr; });
      }
    }
    unit->members.push_back(e.get());
    unit_of_.push_back(unit);
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
  for (auto& u : units_) {
    if (u->interval.count() > 0)
      threads_.emplace_back(&CollectorSet::BackgroundLoop, this, u.get());
  }
}

std::vector<std::string> CollectorSet::Names() const {
  std::vector<std::string> names;
  for (const auto& e : entries_) names.push_back(e->spec.name);
  return names;
}

const collectors::Collector* CollectorSet::Find(const std::string& name) const {
  for (const auto& e : entries_) {
    if (e->spec.name == name) return e->spec.collector.get();
  }
  return nullptr;
}

void CollectorSet::RunUnit(Unit* u, std::unordered_map<Entry*, std::shared_ptr<Run>>* on_scrape) {
  std::lock_guard run_lock(u->run_mu);
  const auto start = std::chrono::steady_clock::now();
  std::string read_error;
  std::vector<prometheus::MetricFamily> namespace_families;
  if (u->reading) {
    std::vector<socket_reading::SocketConsumer*> consumers;
    for (Entry* e : u->members) consumers.push_back(e->consumer);
    try {
      socket_reading::NamespacesSeen seen;
      u->reading->Read(consumers, u->publishes_namespaces ? &seen : nullptr);
      if (u->publishes_namespaces) collectors::PublishNamespaces(seen, &namespace_families);
    } catch (const std::exception& ex) {  // allocation only; the collectors still answer
      read_error = std::string("reading sockets: unexpected exception: ") + ex.what();
    }
  }
  // Every member's duration includes the reading they shared.
  const auto read_time = std::chrono::steady_clock::now() - start;
  for (size_t i = 0; i < u->members.size(); ++i) {
    Entry* e = u->members[i];
    ++e->runs;
    auto run = std::make_shared<Run>();
    const auto collect_start = std::chrono::steady_clock::now();
    std::string error;
    try {
      error = e->spec.collector->Collect(&run->families);
    } catch (const std::exception& ex) {  // the contract says never, but a scrape must answer
      error = std::string("unexpected exception: ") + ex.what();
      run->families.clear();
    }
    if (!read_error.empty()) error = read_error + (error.empty() ? "" : "; " + error);
    if (i == 0) {
      for (auto& f : namespace_families) run->families.push_back(std::move(f));
    }
    run->duration_seconds = std::chrono::duration<double>(
                                read_time + (std::chrono::steady_clock::now() - collect_start))
                                .count();
    Finish(e, run, error);
    if (e->spec.interval.count() > 0) {
      std::lock_guard last_lock(e->last_mu);
      e->last = std::move(run);
    } else if (on_scrape != nullptr) {
      (*on_scrape)[e] = std::move(run);
    }
  }
}

void CollectorSet::Finish(Entry* e, const std::shared_ptr<Run>& run, const std::string& error) {
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
}

void CollectorSet::BackgroundLoop(Unit* u) {
  std::unique_lock lk(stop_mu_);
  while (!stopping_) {
    lk.unlock();
    RunUnit(u);
    lk.lock();
    stop_cv_.wait_for(lk, u->interval, [this] { return stopping_; });
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
  // This scrape's own runs: scrapes that come together each run the collectors on
  // scrape in turn (run_mu) and each serve what they ran.
  std::unordered_map<Entry*, std::shared_ptr<Run>> mine;
  for (auto& u : units_) {
    if (u->interval.count() == 0) RunUnit(u.get(), &mine);
  }
  for (size_t i = 0; i < entries_.size(); ++i) {
    Entry* e = entries_[i].get();
    const bool on_scrape = e->spec.interval.count() == 0;
    std::shared_ptr<Run> run;
    if (on_scrape) {
      run = mine[e];
    } else {
      const auto last = [e] {
        std::lock_guard lk(e->last_mu);
        return e->last;
      };
      run = last();
      if (!run) {  // a background collector that has not finished its first run yet
        RunUnit(unit_of_[i]);
        run = last();
      }
    }
    if (!run) continue;  // cannot happen: RunUnit runs every member
    if (on_scrape) {     // this scrape's alone: moved, for copying every sample cost as much
                         // as writing them out
      for (auto& f : run->families) out.push_back(std::move(f));
    } else {
      out.insert(out.end(), run->families.begin(), run->families.end());
    }
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
