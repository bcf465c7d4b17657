// Pure parsers of /proc/net/route (IPv4, main table only: the kernel prints no other)
// and /proc/net/ipv6_route (every table, no table column).
//
// ipv6_route approximates the main table by leaving out what normally lives elsewhere:
// RTF_LOCAL and RTF_ANYCAST entries (the local table's own addresses), RTF_CACHE clones,
// the ff00::/8 multicast route (local table) and the tree's null entry (::/0 dev lo,
// metric 0xffffffff, reject) that rtnetlink never dumps. Routes of other policy-routing
// tables cannot be told apart here; on the live kernel rtnetlink is used instead.
#pragma once

#include <string_view>

#include "collectors/routes/route.h"

namespace netstat::routes {

RouteResult ParseProcRoute(std::string_view text);
RouteResult ParseIpv6Route(std::string_view text);

}  // namespace netstat::routes
