// listen() events -> the counter series netstat_listener_opened_total and
// netstat_listener_unexpected_opened_total: one series per label set, at most
// max_series of them (an event whose series would be one too many is counted in
// netstat_listener_events_series_dropped_total instead). The expected rules are the
// listeners collector's. Pure: no BPF, no /proc.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "collectors/listeners/expected_rules.h"
#include "config/config.h"

namespace netstat::listener_events {

class EventTally {
 public:
  EventTally(size_t max_series, std::vector<config::ExpectedRule> rules);

  // Counts one listen(). `facts.netns` is the netns label ("" for the own namespace:
  // then the series has no netns label). The exporter's own listeners (`own`) are
  // configured by the operator and never unexpected, as in the listeners collector.
  void Count(const listeners::ListenerFacts& facts, bool own);

  // Appends the opened family, the unexpected one (only when rules exist) and the
  // dropped counter.
  void Publish(std::vector<prometheus::MetricFamily>* out) const;

  size_t series() const { return series_.size(); }
  uint64_t dropped() const { return dropped_; }

 private:
  // protocol, family, address, port, process, user, netns
  using Key = std::tuple<std::string, std::string, std::string, uint16_t, std::string, std::string,
                         std::string>;
  struct Counts {
    uint64_t opened = 0;
    uint64_t unexpected = 0;
  };

  size_t max_series_;
  std::vector<config::ExpectedRule> rules_;
  std::map<Key, Counts> series_;
  uint64_t dropped_ = 0;
};

}  // namespace netstat::listener_events
