// The enabled collectors of one configuration. Runs each on scrape, or on its own
// `interval:` in a background thread, and never runs one collector twice at once.
// Collectors that read sockets (socket_reading::SocketConsumer) and share a schedule
// form one unit with one SocketReading: each run reads the kernel once for all of them.
// A reload builds a new set and stops the old one's threads.
#pragma once

#include <prometheus/metric_family.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "collectors/common/collector.h"
#include "readers/socket_reading/socket_reading.h"

namespace netstat::daemon {

class CollectorSet {
 public:
  struct Spec {
    std::string name;
    std::unique_ptr<collectors::Collector> collector;
    std::chrono::milliseconds interval{0};  // 0: on scrape
  };
  // A fresh reading for one unit of socket-reading collectors.
  using ReadingFactory = std::function<std::unique_ptr<socket_reading::SocketReading>()>;

  CollectorSet(std::vector<Spec> specs, const ReadingFactory& make_reading);
  ~CollectorSet();  // stops background threads

  CollectorSet(const CollectorSet&) = delete;
  CollectorSet& operator=(const CollectorSet&) = delete;

  void StartBackground();
  // Families of every collector plus
  // netstat_exporter_collector_{duration_seconds,success,runs_total}.
  std::vector<prometheus::MetricFamily> Scrape();
  std::vector<std::string> Names() const;
  // The collector of that name, or nullptr. Lives as long as this set.
  const collectors::Collector* Find(const std::string& name) const;

 private:
  struct Run {
    std::vector<prometheus::MetricFamily> families;
    bool success = false;
    double duration_seconds = 0;
  };
  struct Entry {
    Spec spec;
    socket_reading::SocketConsumer* consumer = nullptr;  // the collector, when it reads sockets
    std::mutex last_mu;
    // The latest background run, served to every scrape until the next. A run on
    // scrape is not kept here: it is the scrape's that ran it alone (RunUnit hands it
    // over), which moves its families out.
    std::shared_ptr<Run> last;
    std::optional<bool> logged_ok;  // for logging once per change of state
    std::atomic<uint64_t> runs{0};
  };
  // Collectors that run together: one collector, or every socket-reading collector of
  // one schedule with their reading.
  struct Unit {
    std::vector<Entry*> members;
    std::chrono::milliseconds interval{0};
    std::unique_ptr<socket_reading::SocketReading> reading;
    bool publishes_namespaces = false;  // the first reading unit publishes netstat_namespace_*
    std::mutex run_mu;                  // one run of this unit at a time
  };

  // Runs every member of `u`; a background member's run becomes its `last`, a member's
  // that runs on scrape goes to *on_scrape (keyed by the member) for the caller alone.
  void RunUnit(Unit* u, std::unordered_map<Entry*, std::shared_ptr<Run>>* on_scrape = nullptr);
  void Finish(Entry* e, const std::shared_ptr<Run>& run, const std::string& error);
  void BackgroundLoop(Unit* u);

  std::vector<std::unique_ptr<Entry>> entries_;
  std::vector<std::unique_ptr<Unit>> units_;
  std::vector<Unit*> unit_of_;  // by entry index
  std::vector<std::thread> threads_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
};

}  // namespace netstat::daemon
