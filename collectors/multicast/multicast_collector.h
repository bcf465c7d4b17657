#pragma once

#include <memory>

#include "collectors/common/collector.h"
#include "collectors/common/environment.h"

namespace netstat::multicast {

std::unique_ptr<collectors::Collector> MakeMulticastCollector(const collectors::Environment& env);

}  // namespace netstat::multicast
