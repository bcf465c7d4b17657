// The `collectors:` section of the config file.
#include <yaml-cpp/yaml.h>

#include <sstream>
#include <string>
#include <tuple>

#include "config/loader.h"
#include "config/values.h"

namespace netstat::config::internal {

void Loader::LoadCollectors(const YAML::Node& n, Config* c) const {
  RequireMap(n, "collectors",
             {"sockets", "listeners", "listener_events", "tcp_health", "process_sockets",
              "interfaces", "snmp", "routes", "multicast"});
  if (auto s = n["sockets"]) {
    RequireMap(s, "collectors.sockets", {"enabled", "interval", "remote_ports", "source", "rtt"});
    LoadSettings(s, "collectors.sockets", &c->sockets);
    if (auto v = s["rtt"]) c->sockets.rtt = Bool(v, "collectors.sockets.rtt");
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

}  // namespace netstat::config::internal
