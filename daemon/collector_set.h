// The enabled collectors of one configuration. Runs each on scrape, or on its own
// `interval:` in a background thread, and never runs one collector twice at once.
// A reload builds a new set and stops the old one's threads.
#pragma once

#include <prometheus/metric_family.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "collectors/common/collector.h"

namespace netstat::daemon {

class CollectorSet {
 public:
  struct Spec {
    std::string name;
    std::unique_ptr<collectors::Collector> collector;
    std::chrono::milliseconds interval{0};  // 0: on scrape
  };

  explicit CollectorSet(std::vector<Spec> specs);
  ~CollectorSet();  // stops background threads

  CollectorSet(const CollectorSet&) = delete;
  CollectorSet& operator=(const CollectorSet&) = delete;

  void StartBackground();
  // Families of every collector plus
  // netstat_exporter_collector_{duration_seconds,success,runs_total}.
  std::vector<prometheus::MetricFamily> Scrape();
  std::vector<std::string> Names() const;

 private:
  struct Run {
    std::vector<prometheus::MetricFamily> families;
    bool success = false;
    double duration_seconds = 0;
  };
  struct Entry {
    Spec spec;
    std::mutex run_mu;  // one run of this collector at a time
    std::mutex last_mu;
    std::shared_ptr<const Run> last;
    std::optional<bool> logged_ok;  // for logging once per change of state
    std::atomic<uint64_t> runs{0};
  };

  void RunEntry(Entry* e);
  void BackgroundLoop(Entry* e);

  std::vector<std::unique_ptr<Entry>> entries_;
  std::vector<std::thread> threads_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
};

}  // namespace netstat::daemon
