#pragma once

#include <memory>

#include "collectors/common/collector.h"
#include "collectors/common/environment.h"

namespace netstat::process_sockets {

// `netstat -anp` as counts: sockets per owning process, protocol, family and state. The
// collector is a socket_reading::SocketConsumer; each run walks /proc/*/fd once.
std::unique_ptr<collectors::Collector> MakeProcessSocketsCollector(
    const collectors::Environment& env);

}  // namespace netstat::process_sockets
