#include "collectors/listener_events/event_tally.h"

#include "collectors/common/family_builder.h"

namespace netstat::listener_events {

using collectors::FamilyBuilder;
using collectors::Labels;
using prometheus::MetricType;

void EventTally::Count(const TallyPolicy& policy, const listeners::ListenerFacts& f, bool own) {
  Key key{f.protocol, f.family, f.address, f.port, f.process, f.user, f.netns};
  auto it = series_.find(key);
  if (it == series_.end()) {
    if (series_.size() >= policy.max_series) {
      ++dropped_;
      return;
    }
    it = series_.emplace(std::move(key), Counts{}).first;
  }
  ++it->second.opened;
  if (!policy.rules.empty() && !own && !listeners::IsExpected(policy.rules, f)) {
    ++it->second.unexpected;
  }
}

void EventTally::Publish(const TallyPolicy& policy,
                         std::vector<prometheus::MetricFamily>* out) const {
  FamilyBuilder opened("netstat_listener_opened_total",
                       "TCP listen() calls seen by the BPF program since it was loaded, "
                       "including listeners already closed.",
                       MetricType::Counter);
  FamilyBuilder unexpected("netstat_listener_unexpected_opened_total",
                           "listen() calls that no expected rule of the config matches.",
                           MetricType::Counter);
  for (const auto& [key, counts] : series_) {
    const auto& [protocol, family, address, port, process, user, netns] = key;
    Labels labels = {{"protocol", protocol},         {"family", family},   {"address", address},
                     {"port", std::to_string(port)}, {"process", process}, {"user", user}};
    if (!netns.empty()) labels.emplace_back("netns", netns);
    opened.Add(labels, static_cast<double>(counts.opened));
    // A series appears once it has counted one.
    if (counts.unexpected > 0) unexpected.Add(labels, static_cast<double>(counts.unexpected));
  }
  opened.MoveTo(out);
  if (!policy.rules.empty()) unexpected.MoveTo(out);
  FamilyBuilder("netstat_listener_events_series_dropped_total",
                "listen() events not counted because netstat_listener_opened_total already "
                "had max_series label sets.",
                MetricType::Counter)
      .Add(static_cast<double>(dropped_))
      .MoveTo(out);
}

}  // namespace netstat::listener_events
