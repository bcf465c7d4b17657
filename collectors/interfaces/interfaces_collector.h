#pragma once

#include <memory>

#include "collectors/common/collector.h"
#include "collectors/common/environment.h"

namespace netstat::interfaces {

std::unique_ptr<collectors::Collector> MakeInterfacesCollector(const collectors::Environment& env);

}  // namespace netstat::interfaces
