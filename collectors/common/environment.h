// What a collector may use when it is built: valid only during the factory call, so a
// collector copies what it needs (a reload builds every collector afresh).
#pragma once

#include "collectors/procfs/root.h"
#include "config/config.h"

namespace netstat::collectors {

struct Environment {
  Environment(const procfs::Root& r, const config::Config& c)
      : root(r), config(c), site(procfs::InspectSite(r)) {}

  const procfs::Root& root;
  const config::Config& config;
  procfs::Site site;  // what the tree is, decided here once for every collector
};

}  // namespace netstat::collectors
