#pragma once

#include <memory>

#include "collectors/common/collector.h"
#include "collectors/registry.h"

namespace netstat::sockets {

std::unique_ptr<collectors::Collector> MakeSocketsCollector(const collectors::Environment& env);

}  // namespace netstat::sockets
