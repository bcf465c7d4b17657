// Running one collector in a unit test and reading its output as exposition text.
#pragma once

#include <prometheus/text_serializer.h>

#include <string>
#include <vector>

#include "collectors/common/collector.h"
#include "readers/socket_reading/socket_reading.h"

namespace netstat::testing {

struct CollectorOutput {
  std::string error;  // what Collect() returned
  std::string text;   // the families in the Prometheus text format
};

// Runs a collector as the daemon does: a collector that reads sockets is first fed by
// `reading`, then collects.
inline std::string ReadAndCollect(socket_reading::SocketReading& reading,
                                  collectors::Collector& collector,
                                  std::vector<prometheus::MetricFamily>* families) {
  if (auto* consumer = dynamic_cast<socket_reading::SocketConsumer*>(&collector)) {
    reading.Read({consumer}, nullptr);
  }
  return collector.Collect(families);
}

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
