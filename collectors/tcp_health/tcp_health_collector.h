#pragma once

#include <memory>

#include "collectors/common/collector.h"
#include "collectors/common/environment.h"

namespace netstat::tcp_health {

std::unique_ptr<collectors::Collector> MakeTcpHealthCollector(const collectors::Environment& env);

}  // namespace netstat::tcp_health
