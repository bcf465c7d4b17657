#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "collectors/common/collector.h"
#include "collectors/common/environment.h"
#include "collectors/procfs/root.h"

namespace netstat::sockets {

// The collector is also a socket_reading::SocketConsumer: a SocketReading feeds it
// before each Collect(). /proc/net/sockstat{,6} is read under env.root.
std::unique_ptr<collectors::Collector> MakeSocketsCollector(const collectors::Environment& env);
std::unique_ptr<collectors::Collector> MakeSocketsCollector(const procfs::Root& root,
                                                            std::vector<uint16_t> remote_ports);

}  // namespace netstat::sockets
