#include "collectors/common/family_builder.h"

#include <string_view>

namespace netstat::collectors {
namespace {

// Length of the valid UTF-8 sequence at the start of `s`, or 0 (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF).
size_t SequenceLength(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < n || byte(1) < lo || byte(1) > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return n;
}

void SetValue(prometheus::MetricType type, double value, prometheus::ClientMetric* m) {
  switch (type) {
    case prometheus::MetricType::Counter:
      m->counter.value = value;
      break;
    case prometheus::MetricType::Untyped:
      m->untyped.value = value;
      break;
    default:
      m->gauge.value = value;
      break;
  }
}

}  // namespace

std::string ValidUtf8(std::string s) {
  std::string_view rest = s;
  size_t n = 0;
  while (!rest.empty() && (n = SequenceLength(rest)) > 0) rest.remove_prefix(n);
  if (rest.empty()) return s;  // the common case: nothing to copy
  std::string out = s.substr(0, s.size() - rest.size());
  while (!rest.empty()) {
    n = SequenceLength(rest);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      n = 1;
    } else {
      out.append(rest.substr(0, n));
    }
    rest.remove_prefix(n);
  }
  return out;
}

FamilyBuilder::FamilyBuilder(std::string name, std::string help, prometheus::MetricType type) {
  family_.name = std::move(name);
  family_.help = std::move(help);
  family_.type = type;
}

FamilyBuilder& FamilyBuilder::Add(const Labels& labels, double value) {
  prometheus::ClientMetric& m = family_.metric.emplace_back();
  m.label.reserve(labels.size());
  for (const auto& [name, val] : labels) m.label.push_back({name, ValidUtf8(val)});
  SetValue(family_.type, value, &m);
  return *this;
}

FamilyBuilder& FamilyBuilder::Add(Labels&& labels, double value) {
  prometheus::ClientMetric& m = family_.metric.emplace_back();
  m.label.reserve(labels.size());
  for (auto& [name, val] : labels) m.label.push_back({std::move(name), ValidUtf8(std::move(val))});
  SetValue(family_.type, value, &m);
  return *this;
}

FamilyBuilder& FamilyBuilder::Add(const CleanLabel& label, double value) {
  prometheus::ClientMetric& m = family_.metric.emplace_back();
  m.label.push_back(label.get());
  SetValue(family_.type, value, &m);
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
