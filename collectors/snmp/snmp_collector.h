#pragma once

#include <memory>

#include "collectors/common/collector.h"
#include "collectors/registry.h"

namespace netstat::snmp {

std::unique_ptr<collectors::Collector> MakeSnmpCollector(const collectors::Environment& env);

}  // namespace netstat::snmp
