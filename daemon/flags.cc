#include "daemon/flags.h"

#include <sstream>

#include "collectors/registry.h"
#include "config/values.h"
#include "daemon/version.h"

namespace netstat::daemon {
namespace {

struct ValueFlag {
  const char* name;
  const char* help;
  std::optional<std::string> Flags::*field;
  void (*check)(const std::string&);
};

void CheckAddress(const std::string& s) { config::ParseListenAddress(s); }
void CheckNonEmpty(const std::string& s) {
  if (s.empty()) throw std::invalid_argument("(empty)");
}

const ValueFlag kValueFlags[] = {
    {"config.file", "YAML config file; absent = built-in defaults", &Flags::config_file,
     CheckNonEmpty},
    {"web.listen-address", "address to listen on (default \":10099\")", &Flags::listen_address,
     CheckAddress},
    {"web.telemetry-path", "path under which to expose metrics (default \"/metrics\")",
     &Flags::telemetry_path, config::CheckTelemetryPath},
    {"path.procfs", "procfs mountpoint (default \"/proc\")", &Flags::procfs, CheckNonEmpty},
    {"path.sysfs", "sysfs mountpoint (default \"/sys\")", &Flags::sysfs, CheckNonEmpty},
    {"log.level", "debug, info, warn or error (default info)", &Flags::log_level,
     config::CheckLogLevel},
    {"log.format", "logfmt or json (default logfmt)", &Flags::log_format, config::CheckLogFormat},
};

}  // namespace

Flags ParseFlags(const std::vector<std::string>& args) {
  Flags f;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      throw UsageError("unexpected argument \"" + arg + "\" (flags start with --)");
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    auto no_value = [&]() {
      if (value) throw UsageError("flag --" + name + " takes no value");
    };
    if (name == "help" || name == "h") {
      no_value();
      f.help = true;
    } else if (name == "version") {
      no_value();
      f.version = true;
    } else if (name == "config.check") {
      no_value();
      f.config_check = true;
    } else if (name == "once") {
      // The value is optional, so it only comes after "=": "--once FILE" is an error.
      if (value && value->empty()) throw UsageError("flag --once= needs a file name");
      f.once = true;
      f.once_file = value.value_or("");
    } else if (name == "collector.disable-defaults") {
      no_value();
      f.disable_defaults = true;
    } else if (name.rfind("collector.", 0) == 0 || name.rfind("no-collector.", 0) == 0) {
      no_value();
      const bool on = name[0] == 'c';
      const std::string collector = name.substr(on ? 10 : 13);
      if (!collectors::FindCollector(collector)) {
        throw UsageError("unknown collector \"" + collector + "\" in --" + name + " (see --help)");
      }
      f.collectors[collector] = on;
    } else {
      const ValueFlag* flag = nullptr;
      for (const auto& vf : kValueFlags) {
        if (name == vf.name) flag = &vf;
      }
      if (!flag) throw UsageError("unknown flag --" + name + " (see --help)");
      if (!value) {
        if (i + 1 >= args.size()) throw UsageError("flag --" + name + " needs a value");
        value = args[++i];
      }
      try {
        flag->check(*value);
      } catch (const std::invalid_argument& e) {
        throw UsageError("invalid value for --" + name + ": " + e.what());
      }
      f.*(flag->field) = *value;
    }
  }
  return f;
}

std::string HelpText(const std::string& program) {
  std::ostringstream os;
  os << "usage: " << program << " [<flags>]\n\n"
     << "Exports what netstat and ss show (sockets, listeners with their processes, interface\n"
     << "counters, protocol statistics, routes, multicast groups) as Prometheus metrics.\n\n"
     << "Flags:\n";
  for (const auto& vf : kValueFlags) {
    os << "  --" << vf.name << "=VALUE\n      " << vf.help << "\n";
  }
  os << "  --config.check\n      validate the config file and flags, then exit 0 (valid) or 2\n"
     << "  --once, --once=FILE\n      collect once, write the metrics to stdout or atomically to"
        " FILE\n      (for node_exporter's textfile collector), bind no port, exit 0; 1 when a"
        "\n      collector failed or FILE cannot be written\n"
     << "  --collector.NAME / --no-collector.NAME\n      enable or disable one collector\n"
     << "  --collector.disable-defaults\n      start from no collectors, then enable by name\n"
     << "  --version\n      print version, git revision and compiler\n"
     << "  --help\n      this text\n\nCollectors:\n";
  for (const auto& r : collectors::Registry()) {
    os << "  " << r.name << (r.default_enabled ? " [default on]  " : " [default off] ")
       << r.description << "\n";
  }
  return os.str();
}

std::string VersionText() {
  std::ostringstream os;
  os << "netstat_exporter, version " << kVersion << " (revision: " << kRevision << ")\n"
     << "  compiler: " << kCompiler << "\n";
  return os.str();
}

}  // namespace netstat::daemon
