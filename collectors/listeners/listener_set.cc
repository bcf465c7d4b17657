#include "collectors/listeners/listener_set.h"

#include <algorithm>
#include <string>
#include <tuple>

namespace netstat::listeners {

using socket_table::InetSocket;
using socket_table::Protocol;

bool IsListener(const InetSocket& s) {
  if (s.protocol == Protocol::kTcp) return s.state == socket_table::kListen;
  if (s.protocol != Protocol::kUdp) return false;
  // Bound (a local port) and unconnected (no remote end).
  const bool no_remote =
      s.remote_port == 0 && std::all_of(s.remote_address.begin(), s.remote_address.end(),
                                        [](uint8_t b) { return b == 0; });
  return s.state == socket_table::kClose && s.local_port != 0 && no_remote;
}

bool QueueFuller(uint64_t a_length, uint64_t a_limit, uint64_t b_length, uint64_t b_limit) {
  // a_length / a_limit > b_length / b_limit without dividing (the values are 32-bit, so
  // the products fit); a limit of 0 then ranks as infinitely full when anything waits.
  const uint64_t a = a_length * b_limit;
  const uint64_t b = b_length * a_limit;
  if (a != b) return a > b;
  const int64_t a_room = static_cast<int64_t>(a_limit) - static_cast<int64_t>(a_length);
  const int64_t b_room = static_cast<int64_t>(b_limit) - static_cast<int64_t>(b_length);
  if (a_room != b_room) return a_room < b_room;
  return a_length > b_length;
}

void ListenerSet::Add(const InetSocket& s) {
  if (!IsListener(s)) return;
  if (s.inode != 0 && !inodes_.insert(s.inode).second) return;
  std::string key;
  key.push_back(static_cast<char>(s.protocol));
  key.push_back(static_cast<char>(s.family));
  key.append(reinterpret_cast<const char*>(s.local_address.data()), s.local_address.size());
  key.push_back(static_cast<char>(s.local_port >> 8));
  key.push_back(static_cast<char>(s.local_port & 0xff));
  key.append(reinterpret_cast<const char*>(&s.bound_interface), sizeof s.bound_interface);
  auto [it, fresh] = index_.try_emplace(std::move(key), listeners_.size());
  if (fresh) {
    Listener l;
    l.protocol = s.protocol;
    l.family = s.family;
    l.address = s.local_address;
    l.port = s.local_port;
    l.interface_index = s.bound_interface;
    if (s.protocol == Protocol::kTcp) {
      l.queue_length = s.receive_queue;
      l.queue_limit = s.send_queue;
    }
    listeners_.push_back(std::move(l));
  }
  Listener& l = listeners_[it->second];
  l.sockets.push_back(ListenerSocket{s.inode, s.uid});
  if (!fresh && s.protocol == Protocol::kTcp &&
      QueueFuller(s.receive_queue, s.send_queue, l.queue_length, l.queue_limit)) {
    l.queue_length = s.receive_queue;
    l.queue_limit = s.send_queue;
  }
}

void ListenerSet::NameInterfaces(const std::function<std::string(uint32_t)>& name) {
  std::unordered_map<uint32_t, std::string> names;
  for (Listener& l : listeners_) {
    if (l.interface_index == 0) continue;
    auto [it, fresh] = names.try_emplace(l.interface_index);
    if (fresh) it->second = name(l.interface_index);
    l.interface = it->second;
  }
}

std::vector<Listener> ListenerSet::Take(size_t max, uint64_t* dropped) {
  std::vector<Listener> out = std::move(listeners_);
  listeners_.clear();
  index_.clear();
  inodes_.clear();
  for (Listener& l : out) {
    if (l.interface_index != 0 && l.interface.empty()) {
      l.interface = "if" + std::to_string(l.interface_index);
    }
  }
  std::sort(out.begin(), out.end(), [](const Listener& a, const Listener& b) {
    return std::tie(a.port, a.protocol, a.family, a.address, a.interface) <
           std::tie(b.port, b.protocol, b.family, b.address, b.interface);
  });
  *dropped = out.size() > max ? out.size() - max : 0;
  if (out.size() > max) out.erase(out.begin() + static_cast<std::ptrdiff_t>(max), out.end());
  for (Listener& l : out) {
    std::sort(l.sockets.begin(), l.sockets.end(),
              [](const ListenerSocket& a, const ListenerSocket& b) { return a.inode < b.inode; });
  }
  return out;
}

}  // namespace netstat::listeners
