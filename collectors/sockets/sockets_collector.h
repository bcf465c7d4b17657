#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "collectors/common/collector.h"
#include "collectors/common/environment.h"
#include "readers/procfs/root.h"

namespace netstat::sockets {

// The collector is also a socket_reading::SocketConsumer: a SocketReading feeds it
// before each Collect(). /proc/net/sockstat{,6} is read under env.root.
// netstat_port_connections follows at most `max_ports` listening ports per reading
// (listeners.max_listeners: the listeners' cap), across namespaces, the own one first and
// the lowest ports first.
std::unique_ptr<collectors::Collector> MakeSocketsCollector(const collectors::Environment& env);
std::unique_ptr<collectors::Collector> MakeSocketsCollector(const procfs::Root& root,
                                                            std::vector<uint16_t> remote_ports,
                                                            size_t max_ports = 1000,
                                                            bool rtt = true);

}  // namespace netstat::sockets
