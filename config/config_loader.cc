#include "config/config_loader.h"

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <set>
#include <sstream>

#include "config/values.h"
#include "readers/procfs/root.h"

namespace netstat::config {
namespace {

constexpr size_t kMaxConfigBytes = 1u << 20;
// Nodes the duplicate-key walk visits at most: a 1 MiB file has far fewer, unless
// aliases of aliases multiply them (the walk sees an alias as a copy).
constexpr size_t kMaxWalkedNodes = 1u << 20;

// Walks the YAML tree with the dotted key path of each node, so every error can name
// file:line:column and the key.
class Loader {
 public:
  explicit Loader(std::string name) : name_(std::move(name)) {}

  Config Load(const YAML::Node& root);

 private:
  [[noreturn]] void Fail(const YAML::Mark& mark, const std::string& key,
                         const std::string& problem) const {
    std::ostringstream os;
    os << name_;
    if (mark.line >= 0) os << ':' << mark.line + 1 << ':' << mark.column + 1;
    os << ": " << key << ": " << problem;
    throw ConfigError(os.str());
  }

  // Each entry of `map` must be one of `allowed`; a null node is an empty map.
  void RequireMap(const YAML::Node& map, const std::string& key,
                  std::initializer_list<const char*> allowed) const {
    if (map.IsNull()) return;
    if (!map.IsMap()) Fail(map.Mark(), key, "must be a mapping");
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string k = it->first.Scalar();
      bool known = false;
      for (const char* a : allowed) known = known || k == a;
      if (!known) Fail(it->first.Mark(), Join(key, k), "unknown key");
    }
  }

  static std::string Join(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
  }

  std::string String(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) Fail(n.Mark(), key, "must be a string");
    return n.Scalar();
  }

  bool Bool(const YAML::Node& n, const std::string& key) const {
    bool out;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, out)) {
      Fail(n.Mark(), key, "must be true or false");
    }
    return out;
  }

  long long Int(const YAML::Node& n, const std::string& key, long long lo, long long hi) const {
    long long out;
    if (!n.IsScalar() || !YAML::convert<long long>::decode(n, out) || out < lo || out > hi) {
      Fail(n.Mark(), key,
           "must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
    }
    return out;
  }

  Pattern Regex(const YAML::Node& n, const std::string& key) const {
    const std::string text = String(n, key);
    try {
      return Pattern::Compile(text);
    } catch (const std::regex_error& e) {
      Fail(n.Mark(), key, "invalid regular expression \"" + text + "\": " + e.what());
    }
  }

  template <typename Fn>
  auto Checked(const YAML::Node& n, const std::string& key, const std::string& what, Fn fn) const {
    try {
      return fn(String(n, key));
    } catch (const std::invalid_argument& e) {
      Fail(n.Mark(), key, "invalid " + what + " " + e.what());
    }
  }

  // yaml-cpp keeps every entry of a mapping whose key repeats and answers a lookup with
  // one of them, so the other would be ignored without a word. Every mapping at every
  // depth is checked before anything is read.
  void CheckDuplicateKeys(const YAML::Node& n, const std::string& key, size_t* walked) const;

  void LoadWeb(const YAML::Node& n, WebConfig* web) const;
  void LoadSettings(const YAML::Node& n, const std::string& key, CollectorSettings* s) const;
  // A BPF collector's section (absent: nothing): {enabled, interval, max_series}.
  void LoadBpfCollector(const YAML::Node& n, const std::string& key, CollectorSettings* s,
                        uint32_t* max_series) const;
  void LoadNamespaces(const YAML::Node& n, NamespacesConfig* ns) const;
  void LoadCollectors(const YAML::Node& n, Config* c) const;
  void LoadListeners(const YAML::Node& n, const std::string& key, ListenersConfig* l) const;
  ExpectedRule LoadRule(const YAML::Node& n, const std::string& key) const;

  std::string name_;
};

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

void Loader::LoadCollectors(const YAML::Node& n, Config* c) const {
  RequireMap(n, "collectors",
             {"sockets", "listeners", "listener_events", "tcp_health", "process_sockets",
              "interfaces", "snmp", "routes", "multicast"});
  if (auto s = n["sockets"]) {
    RequireMap(s, "collectors.sockets", {"enabled", "interval", "remote_ports", "source"});
    LoadSettings(s, "collectors.sockets", &c->sockets);
    if (auto v = s["source"]) {
      const std::string source = String(v, "collectors.sockets.source");
      using Source = SocketsConfig::Source;
      if (source == "auto") {
        c->sockets.source = Source::kAuto;
      } else if (source == "netlink") {
        c->sockets.source = Source::kNetlink;
      } else if (source == "bpf") {
        c->sockets.source = Source::kBpf;
      } else {
        Fail(v.Mark(), "collectors.sockets.source", "must be auto, netlink or bpf");
      }
    }
    if (auto ports = s["remote_ports"]) {
      const std::string key = "collectors.sockets.remote_ports";
      if (!ports.IsSequence()) Fail(ports.Mark(), key, "must be a list of ports");
      for (const auto& p : ports) c->sockets.remote_ports.push_back(Int(p, key, 1, 65535));
    }
  }
  if (auto l = n["listeners"]) LoadListeners(l, "collectors.listeners", &c->listeners);
  LoadBpfCollector(n["listener_events"], "collectors.listener_events", &c->listener_events,
                   &c->listener_events.max_series);
  LoadBpfCollector(n["tcp_health"], "collectors.tcp_health", &c->tcp_health,
                   &c->tcp_health.max_series);
  if (auto p = n["process_sockets"]) {
    const std::string key = "collectors.process_sockets";
    RequireMap(p, key, {"enabled", "interval", "labels", "max_processes"});
    LoadSettings(p, key, &c->process_sockets);
    if (auto labels = p["labels"]) {
      if (!labels.IsSequence()) Fail(labels.Mark(), key + ".labels", "must be a list");
      for (const auto& v : labels) {
        std::string label = String(v, key + ".labels");
        if (label != "user" && label != "pid") {
          Fail(v.Mark(), key + ".labels", "unknown label \"" + label + "\" (want user, pid)");
        }
        c->process_sockets.labels.push_back(label);
      }
    }
    if (auto v = p["max_processes"]) {
      c->process_sockets.max_processes = Int(v, key + ".max_processes", 1, 100000);
    }
  }
  for (auto [name, filter, settings] :
       {std::tuple{"interfaces", &c->interfaces.filter, (CollectorSettings*)&c->interfaces},
        std::tuple{"snmp", &c->snmp.filter, (CollectorSettings*)&c->snmp}}) {
    const std::string key = std::string("collectors.") + name;
    if (auto s = n[name]) {
      const bool snmp = filter == &c->snmp.filter;
      // netns_include is snmp's alone (the other namespaces' fields).
      RequireMap(s, key,
                 {"enabled", "interval", "include", "exclude", snmp ? "netns_include" : "include"});
      LoadSettings(s, key, settings);
      if (auto v = s["include"]) filter->include = Regex(v, key + ".include");
      if (auto v = s["exclude"]) filter->exclude = Regex(v, key + ".exclude");
      if (snmp) {
        if (auto v = s["netns_include"]) c->snmp.netns_include = Regex(v, key + ".netns_include");
      }
    }
  }
  if (auto r = n["routes"]) {
    RequireMap(r, "collectors.routes", {"enabled", "interval", "all", "max"});
    LoadSettings(r, "collectors.routes", &c->routes);
    if (auto v = r["all"]) c->routes.all = Bool(v, "collectors.routes.all");
    if (auto v = r["max"]) c->routes.max = Int(v, "collectors.routes.max", 1, 1000000);
  }
  if (auto m = n["multicast"]) {
    RequireMap(m, "collectors.multicast", {"enabled", "interval", "group_labels"});
    LoadSettings(m, "collectors.multicast", &c->multicast);
    if (auto v = m["group_labels"]) {
      c->multicast.group_labels = Bool(v, "collectors.multicast.group_labels");
    }
  }
}

void Loader::LoadListeners(const YAML::Node& n, const std::string& key, ListenersConfig* l) const {
  RequireMap(n, key, {"enabled", "interval", "labels", "expected", "max_listeners"});
  LoadSettings(n, key, l);
  if (auto labels = n["labels"]) {
    if (!labels.IsSequence()) Fail(labels.Mark(), key + ".labels", "must be a list");
    l->labels.clear();
    for (const auto& v : labels) {
      std::string label = String(v, key + ".labels");
      if (label != "process" && label != "user" && label != "pid" && label != "exe" &&
          label != "cmdline") {
        Fail(v.Mark(), key + ".labels",
             "unknown label \"" + label + "\" (want process, user, pid, exe, cmdline)");
      }
      l->labels.push_back(label);
    }
  }
  if (auto v = n["max_listeners"]) {
    l->max_listeners = Int(v, key + ".max_listeners", 1, 1000000);
  }
  if (auto rules = n["expected"]) {
    if (!rules.IsSequence()) Fail(rules.Mark(), key + ".expected", "must be a list of rules");
    for (size_t i = 0; i < rules.size(); ++i) {
      l->expected.push_back(LoadRule(rules[i], key + ".expected[" + std::to_string(i) + "]"));
    }
  }
}

ExpectedRule Loader::LoadRule(const YAML::Node& n, const std::string& key) const {
  if (!n.IsMap() || n.size() == 0) Fail(n.Mark(), key, "must be a non-empty mapping");
  RequireMap(n, key,
             {"protocol", "family", "address", "port", "port_range", "process", "user", "netns",
              "interface"});
  ExpectedRule r;
  if (auto v = n["protocol"]) {
    r.protocol = String(v, key + ".protocol");
    if (*r.protocol != "tcp" && *r.protocol != "udp") {
      Fail(v.Mark(), key + ".protocol", "must be tcp or udp");
    }
  }
  if (auto v = n["family"]) {
    r.family = String(v, key + ".family");
    if (*r.family != "ipv4" && *r.family != "ipv6") {
      Fail(v.Mark(), key + ".family", "must be ipv4 or ipv6");
    }
  }
  if (auto v = n["address"]) r.address = Checked(v, key + ".address", "address", CanonicalIp);
  if (auto v = n["port"]) r.port = Int(v, key + ".port", 0, 65535);
  if (auto v = n["port_range"]) {
    const std::string text = String(v, key + ".port_range");
    unsigned lo = 0, hi = 0;
    char dash = 0, extra = 0;
    std::istringstream is(text);
    if (!(is >> lo >> dash >> hi) || dash != '-' || (is >> extra) || lo > hi || hi > 65535) {
      Fail(v.Mark(), key + ".port_range", "must be \"LOW-HIGH\" with 0 <= LOW <= HIGH <= 65535");
    }
    r.port_range = std::pair<uint16_t, uint16_t>(lo, hi);
  }
  if (auto v = n["process"]) r.process = Regex(v, key + ".process");
  if (auto v = n["user"]) r.user = String(v, key + ".user");
  if (auto v = n["netns"]) r.netns = Regex(v, key + ".netns");
  if (auto v = n["interface"]) r.interface = Regex(v, key + ".interface");
  return r;
}

}  // namespace

Config LoadConfigString(const std::string& yaml, const std::string& name) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    std::ostringstream os;
    os << name << ':' << e.mark.line + 1 << ':' << e.mark.column + 1 << ": " << e.msg;
    throw ConfigError(os.str());
  }
  return Loader(name).Load(root);
}

Config LoadConfigFile(const std::string& path) {
  // Never blocks (a FIFO is refused) and never reads more than 1 MiB: SIGHUP reloads
  // this file while the exporter serves.
  std::string text;
  if (int err = procfs::ReadFile(path, &text, kMaxConfigBytes); err != 0) {
    throw ConfigError(path + ": cannot read the config file: " + procfs::ErrorText(err));
  }
  return LoadConfigString(text, path);
}

}  // namespace netstat::config
