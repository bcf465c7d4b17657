// One (namespace, port) of listener_events.bpf.c's accepted-connection counters.
#pragma once

#include <cstdint>

namespace netstat::listen_trace {

struct AcceptCount {
  uint64_t netns = 0;  // namespace inode
  uint16_t port = 0;   // the listening port, host order
  uint64_t count = 0;  // connections accepted since the program was loaded
};

}  // namespace netstat::listen_trace
