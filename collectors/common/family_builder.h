// Small helpers to build prometheus::MetricFamily values without long-lived registries.
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <utility>
#include <vector>

namespace netstat::collectors {

using Labels = std::vector<std::pair<std::string, std::string>>;

class FamilyBuilder {
 public:
  FamilyBuilder(std::string name, std::string help, prometheus::MetricType type);

  // Adds one sample; for counters the value goes to .counter, for gauges to .gauge.
  // Label values pass through ValidUtf8: the kernel allows any bytes in interface and
  // process names, and one invalid byte would make Prometheus reject the whole scrape.
  FamilyBuilder& Add(const Labels& labels, double value);
  FamilyBuilder& Add(double value) { return Add({}, value); }

  bool empty() const { return family_.metric.empty(); }
  // Moves the family into `out` (even when empty: a family with no samples is
  // simply not serialized).
  void MoveTo(std::vector<prometheus::MetricFamily>* out);

 private:
  prometheus::MetricFamily family_;
};

// `s` with every byte that is not part of a valid UTF-8 sequence replaced by U+FFFD.
std::string ValidUtf8(std::string s);

prometheus::MetricFamily Gauge(std::string name, std::string help, const Labels& labels,
                               double value);

}  // namespace netstat::collectors
