// listen() events -> the counter series netstat_listener_opened_total and
// netstat_listener_unexpected_opened_total: one series per label set, at most
// max_series of them (an event whose series would be one too many is counted in
// netstat_listener_events_series_dropped_total instead). The expected rules are the
// listeners collector's. The counts outlive a config: a reload hands the tally to the
// new collector, whose policy then applies to the events it counts. Pure: no BPF, no
// /proc.
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

// What one config says about counting.
struct TallyPolicy {
  size_t max_series = 1000;
  std::vector<config::ExpectedRule> rules;
};

class EventTally {
 public:
  // Counts one listen() under `policy`. `facts.netns` is the netns label ("" for the own
  // namespace: then the series has no netns label). The exporter's own listeners (`own`)
  // are configured by the operator and never unexpected, as in the listeners collector.
  // A series that exists keeps counting when a new policy's max_series is lower.
  void Count(const TallyPolicy& policy, const listeners::ListenerFacts& facts, bool own);

  // Appends the opened family, the unexpected one (only when `policy` has rules) and the
  // dropped counter.
  void Publish(const TallyPolicy& policy, std::vector<prometheus::MetricFamily>* out) const;

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

  std::map<Key, Counts> series_;
  uint64_t dropped_ = 0;
};

}  // namespace netstat::listener_events
