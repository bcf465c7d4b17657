// Reads the live kernel's routing tables over rtnetlink (RTM_GETROUTE dump).
#pragma once

#include <string>
#include <vector>

#include "collectors/routes/route.h"

namespace netstat::routes {

// Dumps IPv4 and IPv6 routes and keeps the main table. A dump interrupted by a
// concurrent change (NLM_F_DUMP_INTR) is retried a few times. Returns "" or why it
// failed (a reply that stalls past the receive timeout fails it); *result->errors lists
// messages that were skipped as malformed.
std::string DumpMainRoutes(RouteResult* result);

}  // namespace netstat::routes
