#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "collectors/common/collector.h"
#include "collectors/common/environment.h"
#include "collectors/socket_table/socket_table.h"

namespace netstat::sockets {

// Reads sockets through OpenSocketTable(env.root) and logs which source that is.
std::unique_ptr<collectors::Collector> MakeSocketsCollector(const collectors::Environment& env);

// With a given socket table (tests); sockstat is still read under `root`.
std::unique_ptr<collectors::Collector> MakeSocketsCollector(
    const procfs::Root& root, std::vector<uint16_t> remote_ports,
    std::unique_ptr<socket_table::SocketTable> table);

}  // namespace netstat::sockets
