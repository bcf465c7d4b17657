// /proc/net/sockstat{,6} as netstat_sockstat_* gauges (ss -s): the kernel's own totals
// of the own namespace, read once per scrape by the sockets collector.
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

#include "readers/procfs/root.h"

namespace netstat::sockets {

// Appends "; what" (or "what" to an empty error).
void AddError(std::string* error, const std::string& what);

// Appends one family per field of <procfs>/net/sockstat and sockstat6 (memory in bytes);
// a file that cannot be read or parsed is named in *error, a missing one (no IPv6) is not.
void PublishSockstat(const procfs::Root& root, std::vector<prometheus::MetricFamily>* out,
                     std::string* error);

}  // namespace netstat::sockets
