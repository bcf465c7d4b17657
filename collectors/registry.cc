#include "collectors/registry.h"

#include "collectors/interfaces/interfaces_collector.h"
#include "collectors/listener_events/listener_events_collector.h"
#include "collectors/listeners/listeners_collector.h"
#include "collectors/multicast/multicast_collector.h"
#include "collectors/process_sockets/process_sockets_collector.h"
#include "collectors/routes/routes_collector.h"
#include "collectors/snmp/snmp_collector.h"
#include "collectors/sockets/sockets_collector.h"
#include "collectors/tcp_health/tcp_health_collector.h"

namespace netstat::collectors {

const std::vector<Registration>& Registry() {
  static const std::vector<Registration> kRegistry = {
      {"sockets", true, "socket counts by protocol, family and state (ss -s, netstat -a)",
       [](const Environment& env) { return sockets::MakeSocketsCollector(env); }},
      {"listeners", true, "listening sockets and their owners (netstat -tulnp)",
       [](const Environment& env) { return listeners::MakeListenersCollector(env); }},
      {"listener_events", true, "every TCP listen() as it happens, and accepted connections (BPF)",
       [](const Environment& env) { return listener_events::MakeListenerEventsCollector(env); }},
      {"tcp_health", true,
       "retransmits, resets, connect time, lifetime and RTT per service port (BPF)",
       [](const Environment& env) { return tcp_health::MakeTcpHealthCollector(env); }},
      {"process_sockets", true, "sockets per owning process and state (netstat -anp)",
       [](const Environment& env) { return process_sockets::MakeProcessSocketsCollector(env); }},
      {"snmp", true, "protocol statistics (netstat -s): /proc/net/snmp, netstat, snmp6",
       [](const Environment& env) { return snmp::MakeSnmpCollector(env); }},
      {"interfaces", true, "interface counters and state (netstat -i): /proc/net/dev, sysfs",
       [](const Environment& env) { return interfaces::MakeInterfacesCollector(env); }},
      {"routes", true, "main routing table (netstat -r): rtnetlink or /proc/net/route",
       [](const Environment& env) { return routes::MakeRoutesCollector(env); }},
      {"multicast", true, "multicast group memberships (netstat -g): /proc/net/igmp{,6}",
       [](const Environment& env) { return multicast::MakeMulticastCollector(env); }},
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
