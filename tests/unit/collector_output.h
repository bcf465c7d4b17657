// Running one collector in a unit test and reading its output as exposition text.
#pragma once

#include <prometheus/text_serializer.h>

#include <string>
#include <vector>

#include "collectors/common/collector.h"

namespace netstat::testing {

struct CollectorOutput {
  std::string error;  // what Collect() returned
  std::string text;   // the families in the Prometheus text format
};

inline CollectorOutput CollectAsText(collectors::Collector& collector) {
  std::vector<prometheus::MetricFamily> families;
  CollectorOutput out;
  out.error = collector.Collect(&families);
  out.text = prometheus::TextSerializer().Serialize(families);
  return out;
}

// True when `line` is a whole line of `text`.
inline bool HasLine(const std::string& text, const std::string& line) {
  return text.rfind(line + "\n", 0) == 0 || text.find("\n" + line + "\n") != std::string::npos;
}

}  // namespace netstat::testing
