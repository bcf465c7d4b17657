// Sockets -> listeners: TCP sockets in LISTEN and bound, unconnected UDP sockets, merged
// by (protocol, family, address, port, bound device) so a SO_REUSEPORT group gives one
// series, sorted by port, and capped. A group's accept queue is its fullest socket's,
// never a sum: a sum hides the one socket that overflows. Pure: fed by the socket
// table's visitor.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "readers/socket_table/socket_table.h"

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
  uint32_t interface_index = 0;         // sk_bound_dev_if; 0 when unbound
  std::string interface;                // its name in the socket's namespace; "" when unbound
  std::vector<ListenerSocket> sockets;  // more than one for a SO_REUSEPORT group
  // TCP: the accept queue (length) and its limit of the group's fullest socket.
  uint64_t queue_length = 0;
  uint64_t queue_limit = 0;
};

// Whether accept queue a (length, limit) is fuller than b: a higher length/limit (a
// limit of 0 with connections waiting counts as over full), then less room left. Two
// queues neither of which is fuller are equal, so the fullest of a group does not depend
// on the order its sockets came in.
bool QueueFuller(uint64_t a_length, uint64_t a_limit, uint64_t b_length, uint64_t b_limit);

class ListenerSet {
 public:
  // Keeps the socket when it is a listener; the same inode seen twice counts once.
  void Add(const socket_table::InetSocket& s);

  // Names the bound devices, asking `name` once per distinct index.
  void NameInterfaces(const std::function<std::string(uint32_t)>& name);

  // The listeners sorted by (port, protocol, family, address, interface), at most `max`
  // of them; *dropped gets how many were cut. A bound device never named gets the name
  // `ss` gives a device it cannot name ("if<index>").
  std::vector<Listener> Take(size_t max, uint64_t* dropped);

 private:
  std::vector<Listener> listeners_;
  std::unordered_map<std::string, size_t> index_;  // packed key -> listeners_ position
  std::unordered_set<uint64_t> inodes_;
};

bool IsListener(const socket_table::InetSocket& s);

}  // namespace netstat::listeners
