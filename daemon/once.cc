// The same families as /metrics come from the same place: a Runner over a CollectorSet,
// so build info, reload status and process_* are there too. Background threads are never
// started: CollectorSet::Scrape runs an `interval:` collector inline when it has no
// result yet, which is exactly once here. Capabilities are not dropped: nothing listens,
// the process ends in a moment, and root may need CAP_DAC_OVERRIDE to write into a
// directory another user owns (node_exporter's textfile directory).
#include "daemon/once.h"

#include <iostream>

#include "daemon/atomic_file.h"
#include "daemon/runner.h"
#include "daemon/settings.h"
#include "daemon/text_writer.h"

namespace netstat::daemon {
namespace {

bool AnyCollectorFailed(const std::vector<prometheus::MetricFamily>& families) {
  for (const auto& f : families) {
    if (f.name != "netstat_exporter_collector_success") continue;
    for (const auto& m : f.metric) {
      if (m.gauge.value == 0) return true;
    }
  }
  return false;
}

}  // namespace

int CollectOnce(const config::Config& config, const Flags& flags) {
  Runner runner;
  runner.Install(BuildCollectors(config, flags));
  runner.SetReloadStatus(true);
  const auto families = runner.Collect();
  runner.Install(nullptr);

  const std::string text = WriteTextFormat(families);
  if (flags.once_file.empty()) {
    std::cout << text << std::flush;
    if (!std::cout) {
      std::cerr << "netstat_exporter: cannot write the metrics to stdout\n";
      return 1;
    }
  } else if (std::string err = WriteFileAtomically(flags.once_file, text); !err.empty()) {
    std::cerr << "netstat_exporter: " << err << "\n";
    return 1;
  }
  return AnyCollectorFailed(families) ? 1 : 0;
}

}  // namespace netstat::daemon
