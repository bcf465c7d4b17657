// One route of the main table, as both sources (rtnetlink and /proc/net/*route) report it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace netstat::routes {

struct Route {
  std::string family;       // "ipv4" | "ipv6"
  std::string destination;  // CIDR: "0.0.0.0/0", "192.0.2.0/24", "::/0", "2001:db8::/64"
  std::string gateway;      // empty when the destination is on-link
  std::string interface;    // empty when the route has no device (blackhole)

  bool IsDefault() const { return destination == "0.0.0.0/0" || destination == "::/0"; }
  bool operator==(const Route&) const = default;
};

struct RouteResult {
  std::vector<Route> routes;
  // One entry per skipped line or message, "line N: why"; empty when all parsed.
  std::vector<std::string> errors;
};

// Text forms as `ip route` prints them (inet_ntop); af is AF_INET or AF_INET6 and addr
// holds 4 or 16 bytes in network order.
std::string FormatAddress(int af, const uint8_t* addr);
std::string FormatCidr(int af, const uint8_t* addr, unsigned prefix_length);
// "ipv4" / "ipv6" for AF_INET / AF_INET6.
const char* FamilyName(int af);

}  // namespace netstat::routes
