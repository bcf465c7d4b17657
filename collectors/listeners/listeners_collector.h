// The listeners collector: `netstat -tulnp` as metrics (netstat_listener_*).
#pragma once

#include <memory>

#include "collectors/common/collector.h"
#include "collectors/common/environment.h"

namespace netstat::listeners {

std::unique_ptr<collectors::Collector> MakeListenersCollector(const collectors::Environment& env);

}  // namespace netstat::listeners
