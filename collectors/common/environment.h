// What a collector may use when it is built: valid only during the factory call, so a
// collector copies what it needs (a reload builds every collector afresh).
#pragma once

#include "collectors/common/collector.h"
#include "config/config.h"
#include "readers/procfs/root.h"

namespace netstat::collectors {

struct Environment {
  Environment(const procfs::Root& r, const config::Config& c)
      : root(r), config(c), site(procfs::InspectSite(r)) {}

  const procfs::Root& root;
  const config::Config& config;
  procfs::Site site;  // what the tree is, decided here once for every collector
  // On a reload, the collector of the same name in the running configuration, which may
  // be scraping meanwhile: a factory may take over what that collector holds for good
  // (listener_events: its loaded BPF program and counts) through what the collector
  // never changes after it was built. nullptr at start-up and for a newly enabled one.
  const Collector* previous = nullptr;
};

}  // namespace netstat::collectors
