// The explicit table of collectors: name, on by default, factory. Adding a collector
// means one line in registry.cc and one folder under collectors/.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "collectors/common/collector.h"
#include "collectors/common/environment.h"

namespace netstat::collectors {

struct Registration {
  std::string name;
  bool default_enabled;
  std::string description;  // one line, for --help and the landing page
  std::function<std::unique_ptr<Collector>(const Environment&)> factory;
};

const std::vector<Registration>& Registry();
const Registration* FindCollector(const std::string& name);

}  // namespace netstat::collectors
