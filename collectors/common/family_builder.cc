#include "collectors/common/family_builder.h"

namespace netstat::collectors {

FamilyBuilder::FamilyBuilder(std::string name, std::string help, prometheus::MetricType type) {
  family_.name = std::move(name);
  family_.help = std::move(help);
  family_.type = type;
}

FamilyBuilder& FamilyBuilder::Add(const Labels& labels, double value) {
  prometheus::ClientMetric m;
  m.label.reserve(labels.size());
  for (const auto& [name, val] : labels) m.label.push_back({name, val});
  switch (family_.type) {
    case prometheus::MetricType::Counter:
      m.counter.value = value;
      break;
    case prometheus::MetricType::Untyped:
      m.untyped.value = value;
      break;
    default:
      m.gauge.value = value;
      break;
  }
  family_.metric.push_back(std::move(m));
  return *this;
}

void FamilyBuilder::MoveTo(std::vector<prometheus::MetricFamily>* out) {
  if (!family_.metric.empty()) out->push_back(std::move(family_));
  family_.metric.clear();
}

prometheus::MetricFamily Gauge(std::string name, std::string help, const Labels& labels,
                               double value) {
  std::vector<prometheus::MetricFamily> out;
  FamilyBuilder(std::move(name), std::move(help), prometheus::MetricType::Gauge)
      .Add(labels, value)
      .MoveTo(&out);
  return std::move(out.front());
}

}  // namespace netstat::collectors
