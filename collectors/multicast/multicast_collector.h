#pragma once

#include <memory>

#include "collectors/common/collector.h"
#include "collectors/registry.h"

namespace netstat::multicast {

std::unique_ptr<collectors::Collector> MakeMulticastCollector(const collectors::Environment& env);

}  // namespace netstat::multicast
