#pragma once

#include <memory>

#include "collectors/common/collector.h"
#include "collectors/registry.h"

namespace netstat::routes {

std::unique_ptr<collectors::Collector> MakeRoutesCollector(const collectors::Environment& env);

}  // namespace netstat::routes
