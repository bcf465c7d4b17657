#include "daemon/settings.h"

#include <algorithm>

#include "collectors/registry.h"
#include "config/config_loader.h"
#include "readers/procfs/root.h"

namespace netstat::daemon {

config::Config LoadSettings(const Flags& flags) {
  config::Config c =
      flags.config_file ? config::LoadConfigFile(*flags.config_file) : config::Config{};
  if (flags.listen_address) c.web.listen_address = *flags.listen_address;
  if (flags.telemetry_path) c.web.telemetry_path = *flags.telemetry_path;
  if (flags.procfs) c.paths.procfs = *flags.procfs;
  if (flags.sysfs) c.paths.sysfs = *flags.sysfs;
  if (flags.log_level) c.log.level = *flags.log_level;
  if (flags.log_format) c.log.format = *flags.log_format;
  return c;
}

std::vector<std::string> EnabledCollectors(const config::Config& config, const Flags& flags) {
  std::vector<std::string> names;
  for (const auto& r : collectors::Registry()) {
    bool on = flags.disable_defaults ? false : r.default_enabled;
    if (const auto* s = config.Settings(r.name); s && s->enabled) on = *s->enabled;
    if (auto it = flags.collectors.find(r.name); it != flags.collectors.end()) on = it->second;
    if (on) names.push_back(r.name);
  }
  return names;
}

std::shared_ptr<CollectorSet> BuildCollectors(const config::Config& config, const Flags& flags,
                                              const CollectorSet* running) {
  const procfs::Root root(config.paths.procfs, config.paths.sysfs);
  collectors::Environment env{root, config};
  std::vector<CollectorSet::Spec> specs;
  const std::vector<std::string> names = EnabledCollectors(config, flags);
  for (const auto& name : names) {
    const auto* reg = collectors::FindCollector(name);
    const auto* settings = config.Settings(name);
    env.previous = running != nullptr ? running->Find(name) : nullptr;
    specs.push_back(
        {name, reg->factory(env), settings ? settings->interval : std::chrono::milliseconds(0)});
  }
  // Only the sockets and process_sockets collectors take TCP counts from BPF (tcp_iter/):
  // without them, no counting program is loaded.
  env.previous = nullptr;
  const bool tcp_counts = std::find(names.begin(), names.end(), "sockets") != names.end() ||
                          std::find(names.begin(), names.end(), "process_sockets") != names.end();
  return std::make_shared<CollectorSet>(std::move(specs), [&env, tcp_counts] {
    return socket_reading::SocketReading::Open(env.root, env.site, env.config, tcp_counts);
  });
}

}  // namespace netstat::daemon
