#include "config/config_loader.h"

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <set>
#include <sstream>

#include "config/loader.h"
#include "config/values.h"
#include "readers/procfs/root.h"

namespace netstat::config {
namespace internal {

constexpr size_t kMaxConfigBytes = 1u << 20;
// Nodes the duplicate-key walk visits at most: a 1 MiB file has far fewer, unless
// aliases of aliases multiply them (the walk sees an alias as a copy).
constexpr size_t kMaxWalkedNodes = 1u << 20;

Config Loader::Load(const YAML::Node& root) {
  Config c;
  c.source = name_;
  if (root.IsNull()) return c;
  size_t walked = 0;
  CheckDuplicateKeys(root, "", &walked);
  RequireMap(root, "", {"web", "paths", "log", "namespaces", "collectors"});
  if (auto web = root["web"]) LoadWeb(web, &c.web);
  if (auto paths = root["paths"]) {
    RequireMap(paths, "paths", {"procfs", "sysfs", "services"});
    if (auto v = paths["procfs"]) c.paths.procfs = String(v, "paths.procfs");
    if (auto v = paths["sysfs"]) c.paths.sysfs = String(v, "paths.sysfs");
    if (auto v = paths["services"]) c.paths.services = String(v, "paths.services");
  }
  if (auto log = root["log"]) {
    RequireMap(log, "log", {"level", "format"});
    if (auto v = log["level"]) {
      c.log.level = Checked(v, "log.level", "level", [](const std::string& s) {
        CheckLogLevel(s);
        return s;
      });
    }
    if (auto v = log["format"]) {
      c.log.format = Checked(v, "log.format", "format", [](const std::string& s) {
        CheckLogFormat(s);
        return s;
      });
    }
  }
  if (auto namespaces = root["namespaces"]) LoadNamespaces(namespaces, &c.namespaces);
  if (auto collectors = root["collectors"]) LoadCollectors(collectors, &c);
  return c;
}

void Loader::CheckDuplicateKeys(const YAML::Node& n, const std::string& key, size_t* walked) const {
  if (++*walked > kMaxWalkedNodes) {
    Fail(n.Mark(), key.empty() ? "(document)" : key,
         "more than " + std::to_string(kMaxWalkedNodes) + " nodes once aliases are expanded");
  }
  if (n.IsMap()) {
    std::set<std::string> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string k = it->first.IsScalar() ? it->first.Scalar() : YAML::Dump(it->first);
      const std::string path = Join(key, k);
      if (!seen.insert(k).second) Fail(it->first.Mark(), path, "duplicate key");
      CheckDuplicateKeys(it->second, path, walked);
    }
  } else if (n.IsSequence()) {
    for (size_t i = 0; i < n.size(); ++i) {
      CheckDuplicateKeys(n[i], key + "[" + std::to_string(i) + "]", walked);
    }
  }
}

void Loader::LoadWeb(const YAML::Node& n, WebConfig* web) const {
  RequireMap(n, "web", {"listen_address", "telemetry_path", "tls", "basic_auth_users"});
  if (auto v = n["listen_address"]) {
    web->listen_address = Checked(v, "web.listen_address", "address", [](const std::string& s) {
      ParseListenAddress(s);
      return s;
    });
  }
  if (auto v = n["telemetry_path"]) {
    web->telemetry_path = Checked(v, "web.telemetry_path", "path", [](const std::string& s) {
      CheckTelemetryPath(s);
      return s;
    });
  }
  if (auto tls = n["tls"]) {
    RequireMap(tls, "web.tls", {"cert_file", "key_file"});
    if (auto v = tls["cert_file"]) web->tls_cert_file = String(v, "web.tls.cert_file");
    if (auto v = tls["key_file"]) web->tls_key_file = String(v, "web.tls.key_file");
    if (web->tls_cert_file.empty() != web->tls_key_file.empty()) {
      Fail(tls.Mark(), "web.tls", "cert_file and key_file go together");
    }
  }
  if (auto users = n["basic_auth_users"]) {
    if (!users.IsMap()) Fail(users.Mark(), "web.basic_auth_users", "must be a mapping");
    for (auto it = users.begin(); it != users.end(); ++it) {
      const std::string user = it->first.Scalar();
      const std::string key = "web.basic_auth_users." + user;
      const std::string hash = String(it->second, key);
      if (hash.size() != 60 || hash[0] != '$' || hash[1] != '2' || hash[3] != '$') {
        Fail(it->second.Mark(), key, "must be a bcrypt hash ($2y$..., 60 characters)");
      }
      web->basic_auth_users[user] = hash;
    }
  }
}

void Loader::LoadNamespaces(const YAML::Node& n, NamespacesConfig* ns) const {
  RequireMap(n, "namespaces", {"mode", "max", "bind_mount_dirs"});
  if (auto v = n["mode"]) {
    const std::string mode = String(v, "namespaces.mode");
    if (mode != "own" && mode != "all") Fail(v.Mark(), "namespaces.mode", "must be own or all");
    ns->mode = mode == "all" ? NamespacesConfig::Mode::kAll : NamespacesConfig::Mode::kOwn;
  }
  if (auto v = n["max"]) ns->max = static_cast<uint32_t>(Int(v, "namespaces.max", 0, 100000));
  if (auto dirs = n["bind_mount_dirs"]) {
    if (!dirs.IsSequence()) Fail(dirs.Mark(), "namespaces.bind_mount_dirs", "must be a list");
    ns->bind_mount_dirs.clear();
    for (const auto& d : dirs) {
      const std::string dir = String(d, "namespaces.bind_mount_dirs");
      if (dir.empty() || dir[0] != '/') {
        Fail(d.Mark(), "namespaces.bind_mount_dirs", "must be absolute paths");
      }
      ns->bind_mount_dirs.push_back(dir);
    }
  }
}

void Loader::LoadSettings(const YAML::Node& n, const std::string& key, CollectorSettings* s) const {
  if (auto v = n["enabled"]) s->enabled = Bool(v, key + ".enabled");
  if (auto v = n["interval"]) {
    s->interval = Checked(v, key + ".interval", "duration", ParseDuration);
  }
}

void Loader::LoadBpfCollector(const YAML::Node& n, const std::string& key, CollectorSettings* s,
                              uint32_t* max_series) const {
  if (!n) return;
  RequireMap(n, key, {"enabled", "interval", "max_series"});
  LoadSettings(n, key, s);
  if (auto v = n["max_series"]) *max_series = Int(v, key + ".max_series", 1, 1000000);
}

}  // namespace internal

Config LoadConfigString(const std::string& yaml, const std::string& name) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    std::ostringstream os;
    os << name << ':' << e.mark.line + 1 << ':' << e.mark.column + 1 << ": " << e.msg;
    throw ConfigError(os.str());
  }
  return internal::Loader(name).Load(root);
}

Config LoadConfigFile(const std::string& path) {
  // Never blocks (a FIFO is refused) and never reads more than 1 MiB: SIGHUP reloads
  // this file while the exporter serves.
  std::string text;
  if (int err = procfs::ReadFile(path, &text, internal::kMaxConfigBytes); err != 0) {
    throw ConfigError(path + ": cannot read the config file: " + procfs::ErrorText(err));
  }
  return LoadConfigString(text, path);
}

}  // namespace netstat::config
