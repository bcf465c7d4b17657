// Small helpers to build prometheus::MetricFamily values without long-lived registries.
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <utility>
#include <vector>

namespace netstat::collectors {

using Labels = std::vector<std::pair<std::string, std::string>>;

// `s` with every byte that is not part of a valid UTF-8 sequence replaced by U+FFFD.
std::string ValidUtf8(std::string s);

// One label whose value has been through ValidUtf8, for a publisher that puts the same
// label on many samples (the netns label on each field of a namespace) and so cleans it,
// and builds it, once.
class CleanLabel {
 public:
  CleanLabel(std::string name, std::string value)
      : label_{std::move(name), ValidUtf8(std::move(value))} {}
  const prometheus::ClientMetric::Label& get() const { return label_; }

 private:
  prometheus::ClientMetric::Label label_;
};

class FamilyBuilder {
 public:
  FamilyBuilder(std::string name, std::string help, prometheus::MetricType type);

  // Adds one sample; for counters the value goes to .counter, for gauges to .gauge.
  // Label values pass through ValidUtf8: the kernel allows any bytes in interface and
  // process names, and one invalid byte would make Prometheus reject the whole scrape.
  FamilyBuilder& Add(const Labels& labels, double value);
  // The same, moving the label strings (most callers build the labels for one sample).
  FamilyBuilder& Add(Labels&& labels, double value);
  FamilyBuilder& Add(double value) { return Add({}, value); }
  // One sample with that label alone.
  FamilyBuilder& Add(const CleanLabel& label, double value);
  // Room for `samples`, when a publisher knows how many are coming (one per namespace).
  void Reserve(size_t samples) { family_.metric.reserve(samples); }

  bool empty() const { return family_.metric.empty(); }
  // Moves the family into `out` (even when empty: a family with no samples is
  // simply not serialized).
  void MoveTo(std::vector<prometheus::MetricFamily>* out);

 private:
  prometheus::MetricFamily family_;
};

prometheus::MetricFamily Gauge(std::string name, std::string help, const Labels& labels,
                               double value);

}  // namespace netstat::collectors
