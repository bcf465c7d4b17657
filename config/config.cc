#include "config/config.h"

namespace netstat::config {

Pattern Pattern::Compile(const std::string& source) {
  return Pattern{source, std::make_shared<const std::regex>(source, std::regex::ECMAScript)};
}

const CollectorSettings* Config::Settings(const std::string& collector) const {
  return const_cast<Config*>(this)->Settings(collector);
}

CollectorSettings* Config::Settings(const std::string& collector) {
  if (collector == "sockets") return &sockets;
  if (collector == "listeners") return &listeners;
  if (collector == "listener_events") return &listener_events;
  if (collector == "tcp_health") return &tcp_health;
  if (collector == "process_sockets") return &process_sockets;
  if (collector == "interfaces") return &interfaces;
  if (collector == "snmp") return &snmp;
  if (collector == "routes") return &routes;
  if (collector == "multicast") return &multicast;
  return nullptr;
}

}  // namespace netstat::config
