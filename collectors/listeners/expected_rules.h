// The `expected:` policy: a listener is expected when every field of at least one rule
// matches it. Rules come validated from the config loader (addresses canonical).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"

namespace netstat::listeners {

// What a rule can look at, as the label values show it.
struct ListenerFacts {
  std::string protocol;  // tcp | udp
  std::string family;    // ipv4 | ipv6
  std::string address;   // as ss -n prints it
  uint16_t port = 0;
  std::string process;  // empty when the owner is unknown
  std::string user;     // name, or the uid in decimal
  uint32_t uid = 0;
  std::string netns;      // the netns label; "" for the exporter's own namespace
  std::string interface;  // the bound device's name; "" when unbound
};

bool RuleMatches(const config::ExpectedRule& rule, const ListenerFacts& l);
bool IsExpected(const std::vector<config::ExpectedRule>& rules, const ListenerFacts& l);

}  // namespace netstat::listeners
