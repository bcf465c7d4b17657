#pragma once

#include <memory>

#include "collectors/common/collector.h"
#include "collectors/common/environment.h"

namespace netstat::snmp {

std::unique_ptr<collectors::Collector> MakeSnmpCollector(const collectors::Environment& env);

}  // namespace netstat::snmp
