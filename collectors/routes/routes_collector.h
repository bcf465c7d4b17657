#pragma once

#include <memory>

#include "collectors/common/collector.h"
#include "collectors/common/environment.h"

namespace netstat::routes {

std::unique_ptr<collectors::Collector> MakeRoutesCollector(const collectors::Environment& env);

}  // namespace netstat::routes
