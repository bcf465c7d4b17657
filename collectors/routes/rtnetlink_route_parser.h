// Pure parser of rtnetlink RTM_NEWROUTE messages (the replies to an RTM_GETROUTE dump),
// keeping only the main table, as `ip route` / `ip -6 route` show it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "collectors/routes/route.h"

namespace netstat::routes {

// Interface name for an ifindex; "" when unknown (the route then has no interface).
using InterfaceName = std::function<std::string(uint32_t ifindex)>;

// Appends the routes one netlink message describes: one per nexthop (a multipath route
// gives several), none for another table, a cached clone, or a local, broadcast or
// multicast route. Returns "" or why the message is malformed (then nothing is added).
std::string ParseRouteMessage(const void* message, size_t length, const InterfaceName& name,
                              std::vector<Route>* out);

}  // namespace netstat::routes
