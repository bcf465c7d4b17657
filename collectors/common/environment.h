// What a collector may use when it is built: valid only during the factory call, so a
// collector copies what it needs (a reload builds every collector afresh).
#pragma once

#include "collectors/procfs/root.h"
#include "config/config.h"

namespace netstat::collectors {

struct Environment {
  const procfs::Root& root;
  const config::Config& config;
};

}  // namespace netstat::collectors
