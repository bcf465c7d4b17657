#include "collectors/listeners/expected_rules.h"

namespace netstat::listeners {

bool RuleMatches(const config::ExpectedRule& rule, const ListenerFacts& l) {
  if (rule.protocol && *rule.protocol != l.protocol) return false;
  if (rule.family && *rule.family != l.family) return false;
  if (rule.address && *rule.address != l.address) return false;
  if (rule.port && *rule.port != l.port) return false;
  if (rule.port_range && (l.port < rule.port_range->first || l.port > rule.port_range->second)) {
    return false;
  }
  // A user rule may name the user or give the uid, whichever the listener resolves to.
  if (rule.user && *rule.user != l.user && *rule.user != std::to_string(l.uid)) return false;
  if (rule.process && !rule.process->Match(l.process)) return false;
  if (rule.netns && !rule.netns->Match(l.netns)) return false;
  if (rule.interface && !rule.interface->Match(l.interface)) return false;
  return true;
}

bool IsExpected(const std::vector<config::ExpectedRule>& rules, const ListenerFacts& l) {
  for (const auto& rule : rules) {
    if (RuleMatches(rule, l)) return true;
  }
  return false;
}

}  // namespace netstat::listeners
