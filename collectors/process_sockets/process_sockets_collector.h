#pragma once

#include <memory>

#include "collectors/common/collector.h"
#include "collectors/common/environment.h"

namespace netstat::process_sockets {

// `netstat -anp` as counts: sockets per owning process, protocol, family and state. The
// collector is a socket_reading::SocketConsumer; each run lists
// every process's socket fds once (the BPF owner walk, else /proc/*/fd).
std::unique_ptr<collectors::Collector> MakeProcessSocketsCollector(
    const collectors::Environment& env);

}  // namespace netstat::process_sockets
