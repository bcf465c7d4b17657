// Sockets -> listeners: TCP sockets in LISTEN and bound, unconnected UDP sockets, merged
// by (protocol, family, address, port) so SO_REUSEPORT groups give one series, sorted
// by port, and capped. Pure: fed by the socket table's visitor.
#pragma once

#include <array>
#include <cstdint>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "collectors/socket_table/socket_table.h"

namespace netstat::listeners {

struct ListenerSocket {
  uint64_t inode = 0;
  uint32_t uid = 0;
};

struct Listener {
  socket_table::Protocol protocol;
  socket_table::Family family;
  std::array<uint8_t, 16> address;
  uint16_t port;
  std::vector<ListenerSocket> sockets;  // more than one for a SO_REUSEPORT group
  uint64_t queue_length = 0;            // TCP: summed over the group's accept queues
  uint64_t queue_limit = 0;
};

class ListenerSet {
 public:
  // Keeps the socket when it is a listener; the same inode seen twice counts once.
  void Add(const socket_table::InetSocket& s);

  // The listeners sorted by (port, protocol, family, address), at most `max` of them;
  // *dropped gets how many were cut.
  std::vector<Listener> Take(size_t max, uint64_t* dropped);

 private:
  std::vector<Listener> listeners_;
  std::unordered_map<std::string, size_t> index_;  // packed key -> listeners_ position
  std::unordered_set<uint64_t> inodes_;
};

bool IsListener(const socket_table::InetSocket& s);

}  // namespace netstat::listeners
