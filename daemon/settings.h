// Combines the config file and the command line (flags win) and builds the collectors.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "daemon/collector_set.h"
#include "daemon/flags.h"

namespace netstat::daemon {

// Loads the config file named by the flags (or the defaults) and applies the flags over
// it. Throws config::ConfigError.
config::Config LoadSettings(const Flags& flags);

// The names of the enabled collectors, in registry order.
std::vector<std::string> EnabledCollectors(const config::Config& config, const Flags& flags);

// Builds a fresh CollectorSet (its background threads not started yet). On a reload,
// `running` is the set in service: each new collector may take over what the one of the
// same name keeps across reloads (collectors::Environment::previous). The caller keeps
// `running` alive during the call.
std::shared_ptr<CollectorSet> BuildCollectors(const config::Config& config, const Flags& flags,
                                              const CollectorSet* running = nullptr);

}  // namespace netstat::daemon
