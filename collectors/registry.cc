#include "collectors/registry.h"

#include "collectors/snmp/snmp_collector.h"
#include "collectors/sockets/sockets_collector.h"
#include "collectors/listeners/listeners_collector.h"

namespace netstat::collectors {

const std::vector<Registration>& Registry() {
  static const std::vector<Registration> kRegistry = {
      {"sockets", true, "socket counts by protocol, family and state (ss -s, netstat -a)",
       [](const Environment& env) { return sockets::MakeSocketsCollector(env); }},
      {"listeners", true, "listening sockets and their owners (netstat -tulnp)",
       [](const Environment& env) { return listeners::MakeListenersCollector(env); }},
      {"snmp", true, "protocol statistics (netstat -s): /proc/net/snmp, netstat, snmp6",
       [](const Environment& env) { return snmp::MakeSnmpCollector(env); }},
  };
  return kRegistry;
}

const Registration* FindCollector(const std::string& name) {
  for (const auto& r : Registry()) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

}  // namespace netstat::collectors
