// The command line, node_exporter style: --name=value or --name value, --[no-]collector.X.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace netstat::daemon {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Flags {
  std::optional<std::string> config_file;
  bool config_check = false;
  bool once = false;      // --once or --once=FILE
  std::string once_file;  // empty: stdout
  std::optional<std::string> listen_address;
  std::optional<std::string> telemetry_path;
  std::optional<std::string> procfs;
  std::optional<std::string> sysfs;
  std::optional<std::string> log_level;
  std::optional<std::string> log_format;
  bool disable_defaults = false;
  std::map<std::string, bool> collectors;  // --collector.X (true) / --no-collector.X (false)
  bool help = false;
  bool version = false;
};

// Throws UsageError with one line naming the flag and the problem.
Flags ParseFlags(const std::vector<std::string>& args);

std::string HelpText(const std::string& program);
std::string VersionText();

}  // namespace netstat::daemon
