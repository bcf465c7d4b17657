// --once[=FILE]: one collection with the configured collectors, written as the text
// exposition to stdout or atomically to FILE (node_exporter's textfile collector), with
// no HTTP server at all.
#pragma once

#include "config/config.h"
#include "daemon/flags.h"

namespace netstat::daemon {

// Returns the process exit code: 0, or 1 when a collector failed (its
// netstat_exporter_collector_success is 0; the output is still written) or the output
// could not be written (one line on stderr names the file).
int CollectOnce(const config::Config& config, const Flags& flags);

}  // namespace netstat::daemon
