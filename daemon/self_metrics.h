// The exporter's own metrics: build info, config reload status and the standard
// process_* metrics, always read from the real /proc/self (whatever --path.procfs says).
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace netstat::daemon {

void AppendBuildInfo(std::vector<prometheus::MetricFamily>* out);
void AppendReloadStatus(bool last_reload_ok, double last_success_unix_seconds,
                        std::vector<prometheus::MetricFamily>* out);
// Reads /proc/self/{stat,fd,limits} and /proc/stat; skips what it cannot read.
void AppendProcessMetrics(std::vector<prometheus::MetricFamily>* out);

}  // namespace netstat::daemon
