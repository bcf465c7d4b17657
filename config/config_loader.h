// Loads the YAML config file into the typed model and validates it. Every error is one
// line naming file:line:column and the key, e.g.
//   netstat_exporter.yml:7:14: collectors.snmp.include: invalid regular expression "(": ...
#pragma once

#include <stdexcept>
#include <string>

#include "config/config.h"

namespace netstat::config {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws ConfigError. An empty file gives the built-in defaults.
Config LoadConfigFile(const std::string& path);
// The same from text; `name` stands for the file name in messages.
Config LoadConfigString(const std::string& yaml, const std::string& name);

}  // namespace netstat::config
