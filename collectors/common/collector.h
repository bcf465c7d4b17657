// The collector interface: one snapshot of the kernel in, fresh metric families out.
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace netstat::collectors {

class Collector {
 public:
  virtual ~Collector() = default;

  // Appends fresh families built from one reading of the kernel. Never throws.
  // Returns an empty string on success, else why it failed; families appended before a
  // failure are still published (a collector may return partial data).
  virtual std::string Collect(std::vector<prometheus::MetricFamily>* out) = 0;
};

}  // namespace netstat::collectors
