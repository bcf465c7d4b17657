#include "collectors/listeners/expected_rules.h"

#include <gtest/gtest.h>

namespace netstat::listeners {
namespace {

ListenerFacts Sshd() {
  return ListenerFacts{"tcp", "ipv4", "0.0.0.0", 22, "sshd", "root", 0, "", ""};
}

TEST(ExpectedRules, EmptyRuleMatchesEverything) {
  EXPECT_TRUE(RuleMatches(config::ExpectedRule{}, Sshd()));
}

TEST(ExpectedRules, EachFieldMustMatch) {
  config::ExpectedRule r;
  r.protocol = "tcp";
  r.port = 22;
  r.process = config::Pattern::Compile("sshd");
  EXPECT_TRUE(RuleMatches(r, Sshd()));
  ListenerFacts udp = Sshd();
  udp.protocol = "udp";
  EXPECT_FALSE(RuleMatches(r, udp));
  ListenerFacts other_port = Sshd();
  other_port.port = 2222;
  EXPECT_FALSE(RuleMatches(r, other_port));
}

TEST(ExpectedRules, ProcessIsAWholeNameMatch) {
  config::ExpectedRule r;
  r.process = config::Pattern::Compile("ssh");
  EXPECT_FALSE(RuleMatches(r, Sshd()));
  r.process = config::Pattern::Compile("ssh.*");
  EXPECT_TRUE(RuleMatches(r, Sshd()));
  ListenerFacts unknown = Sshd();
  unknown.process = "";
  EXPECT_FALSE(RuleMatches(r, unknown));
}

// "pods may listen on 8080, the host on 22": the own namespace's label value is "".
TEST(ExpectedRules, NetnsIsAWholeValueMatch) {
  config::ExpectedRule host;
  host.port = 22;
  host.netns = config::Pattern::Compile("");
  config::ExpectedRule pods;
  pods.port = 8080;
  pods.netns = config::Pattern::Compile(".+");
  const std::vector<config::ExpectedRule> rules = {host, pods};
  ListenerFacts l = Sshd();
  EXPECT_TRUE(IsExpected(rules, l));
  l.netns = "net:[4026532281]";
  EXPECT_FALSE(IsExpected(rules, l));
  l.port = 8080;
  EXPECT_TRUE(IsExpected(rules, l));
  l.netns = "";
  EXPECT_FALSE(IsExpected(rules, l));
  pods.netns = config::Pattern::Compile("pod");
  l.netns = "pod-a";
  EXPECT_FALSE(RuleMatches(pods, l));                   // the whole value, not a part of it
  EXPECT_TRUE(RuleMatches(config::ExpectedRule{}, l));  // no netns: any namespace
}

// The bound device, "" when unbound: "8082 only on lo" must not expect it on v0.
TEST(ExpectedRules, InterfaceIsAWholeValueMatch) {
  config::ExpectedRule lo;
  lo.port = 22;
  lo.interface = config::Pattern::Compile("lo");
  ListenerFacts l = Sshd();
  EXPECT_FALSE(RuleMatches(lo, l));  // unbound
  l.interface = "lo";
  EXPECT_TRUE(RuleMatches(lo, l));
  l.interface = "lo2";
  EXPECT_FALSE(RuleMatches(lo, l));  // the whole value, not a part of it
  config::ExpectedRule unbound;
  unbound.interface = config::Pattern::Compile("");
  EXPECT_FALSE(RuleMatches(unbound, l));
  l.interface = "";
  EXPECT_TRUE(RuleMatches(unbound, l));
  EXPECT_TRUE(RuleMatches(config::ExpectedRule{}, l));  // no interface: any device
}

TEST(ExpectedRules, FamilyAndAddress) {
  config::ExpectedRule r;
  r.family = "ipv6";
  EXPECT_FALSE(RuleMatches(r, Sshd()));
  r.family = "ipv4";
  r.address = "127.0.0.1";
  EXPECT_FALSE(RuleMatches(r, Sshd()));
  r.address = "0.0.0.0";
  EXPECT_TRUE(RuleMatches(r, Sshd()));
}

TEST(ExpectedRules, PortRangeIsInclusive) {
  config::ExpectedRule r;
  r.port_range = std::make_pair<uint16_t, uint16_t>(30000, 32767);
  ListenerFacts l = Sshd();
  for (uint16_t port : {30000, 31000, 32767}) {
    l.port = port;
    EXPECT_TRUE(RuleMatches(r, l)) << port;
  }
  for (uint16_t port : {22, 29999, 32768}) {
    l.port = port;
    EXPECT_FALSE(RuleMatches(r, l)) << port;
  }
}

TEST(ExpectedRules, UserByNameOrUid) {
  config::ExpectedRule r;
  r.user = "root";
  EXPECT_TRUE(RuleMatches(r, Sshd()));
  r.user = "0";
  EXPECT_TRUE(RuleMatches(r, Sshd()));
  r.user = "nobody";
  EXPECT_FALSE(RuleMatches(r, Sshd()));
  ListenerFacts numeric = Sshd();
  numeric.uid = 4321;
  numeric.user = "4321";
  r.user = "4321";
  EXPECT_TRUE(RuleMatches(r, numeric));
}

TEST(ExpectedRules, AnyRuleSuffices) {
  config::ExpectedRule dns;
  dns.port = 53;
  config::ExpectedRule ssh;
  ssh.process = config::Pattern::Compile("sshd");
  EXPECT_TRUE(IsExpected({dns, ssh}, Sshd()));
  EXPECT_FALSE(IsExpected({dns}, Sshd()));
  EXPECT_FALSE(IsExpected({}, Sshd()));
}

}  // namespace
}  // namespace netstat::listeners
