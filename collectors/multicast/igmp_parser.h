// Pure parsers of /proc/net/igmp (a device line "Idx Device : Count Querier", then
// that device's group lines, hex in the kernel's %08X of a __be32) and /proc/net/igmp6
// (one "idx device group users flags timer" line per group).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace netstat::multicast {

struct Membership {
  std::string family;  // "ipv4" | "ipv6"
  std::string interface;
  std::string group;  // "224.0.0.1", "ff02::1"
};

struct MembershipResult {
  std::vector<Membership> memberships;
  // One entry per skipped line, "line N: why"; empty when every line parsed.
  std::vector<std::string> errors;
};

MembershipResult ParseIgmp(std::string_view text);
MembershipResult ParseIgmp6(std::string_view text);

}  // namespace netstat::multicast
