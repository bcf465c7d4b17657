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

void ListenerSet::Add(const InetSocket& s) {
  if (!IsListener(s)) return;
  if (s.inode != 0 && !inodes_.insert(s.inode).second) return;
  std::string key;
  key.push_back(static_cast<char>(s.protocol));
  key.push_back(static_cast<char>(s.family));
  key.append(reinterpret_cast<const char*>(s.local_address.data()), s.local_address.size());
  key.push_back(static_cast<char>(s.local_port >> 8));
  key.push_back(static_cast<char>(s.local_port & 0xff));
  auto [it, fresh] = index_.try_emplace(std::move(key), listeners_.size());
  if (fresh) {
    listeners_.push_back(Listener{s.protocol, s.family, s.local_address, s.local_port, {}, 0, 0});
  }
  Listener& l = listeners_[it->second];
  l.sockets.push_back(ListenerSocket{s.inode, s.uid});
  if (s.protocol == Protocol::kTcp) {
    l.queue_length += s.receive_queue;
    l.queue_limit += s.send_queue;
  }
}

std::vector<Listener> ListenerSet::Take(size_t max, uint64_t* dropped) {
  std::vector<Listener> out = std::move(listeners_);
  listeners_.clear();
  index_.clear();
  inodes_.clear();
  std::sort(out.begin(), out.end(), [](const Listener& a, const Listener& b) {
    return std::tie(a.port, a.protocol, a.family, a.address) <
           std::tie(b.port, b.protocol, b.family, b.address);
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
