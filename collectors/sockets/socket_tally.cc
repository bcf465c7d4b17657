#include "collectors/sockets/socket_tally.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstdint>

namespace netstat::sockets {
namespace {

using socket_table::InetSocket;
using socket_table::Protocol;
using socket_table::UnixSocket;

size_t HashPort(uint16_t port, size_t mask) {
  return (static_cast<uint32_t>(port) * 2654435761u >> 7) & mask;  // Knuth multiplicative
}

}  // namespace

void PortCounts::Track(const std::vector<uint16_t>& ports) {
  for (uint16_t p : ports_) tracked_[p] = false;
  ports_ = ports;
  std::sort(ports_.begin(), ports_.end());
  ports_.erase(std::unique(ports_.begin(), ports_.end()), ports_.end());
  size_t size = 4;
  while (size < ports_.size() * 2) size *= 2;  // load factor <= 1/2
  table_.assign(size, 0);
  for (size_t i = 0; i < ports_.size(); ++i) {
    tracked_[ports_[i]] = true;
    size_t slot = HashPort(ports_[i], size - 1);
    while (table_[slot] != 0) slot = (slot + 1) & (size - 1);
    table_[slot] = static_cast<uint32_t>(i + 1);
  }
  counts_.assign(ports_.size() * kStates, 0);
  rtt_.assign(ports_.size(), tcp_iter::RttSums{});
}

size_t PortCounts::Slot(uint16_t port) const {
  if (!tracked_[port]) return SIZE_MAX;
  const size_t mask = table_.size() - 1;
  for (size_t slot = HashPort(port, mask);; slot = (slot + 1) & mask) {
    const uint32_t entry = table_[slot];
    if (entry == 0) return SIZE_MAX;
    if (ports_[entry - 1] == port) return entry - 1;
  }
}

void PortCounts::Add(uint16_t port, uint8_t state, uint64_t n) {
  if (state >= kStates) return;
  const size_t i = Slot(port);
  if (i != SIZE_MAX) counts_[i * kStates + state] += n;
}

uint64_t PortCounts::Count(uint16_t port, uint8_t state) const {
  const size_t i = Slot(port);
  return i == SIZE_MAX || state >= kStates ? 0 : counts_[i * kStates + state];
}

void PortCounts::AddRtt(uint16_t port, const tcp_iter::RttSums& rtt) {
  const size_t i = Slot(port);
  if (i != SIZE_MAX) rtt_[i].Merge(rtt);
}

void PortCounts::AddRtt(uint16_t port, uint32_t rtt_us) {
  const size_t i = Slot(port);
  if (i != SIZE_MAX) rtt_[i].Add(rtt_us);
}

tcp_iter::RttSums PortCounts::Rtt(uint16_t port) const {
  const size_t i = Slot(port);
  return i == SIZE_MAX ? tcp_iter::RttSums{} : rtt_[i];
}

void SocketTally::Reset(const std::vector<uint16_t>& listen_ports,
                        const std::vector<uint16_t>& remote_ports) {
  inet_ = {};
  unix_ = {};
  unknown_ = 0;
  local_.Track(listen_ports);
  remote_.Track(remote_ports);
}

void SocketTally::AddInet(const InetSocket& s) {
  if (s.state >= kStates || static_cast<size_t>(s.protocol) >= kInetProtocols ||
      static_cast<size_t>(s.family) >= kInetFamilies) {
    ++unknown_;
    return;
  }
  StateCounts& c = inet_[Index(s.protocol, s.family)];
  ++c.sockets[s.state];
  if (s.protocol != Protocol::kTcp) {
    c.receive_queue[s.state] += s.receive_queue;
    c.send_queue[s.state] += s.send_queue;
    return;
  }
  // A listener's queues count connections (accept queue, backlog), not bytes.
  if (s.state == socket_table::kListen) return;
  c.receive_queue[s.state] += s.receive_queue;
  c.send_queue[s.state] += s.send_queue;
  local_.Add(s.local_port, s.state);
  remote_.Add(s.remote_port, s.state);
  if (s.state == socket_table::kEstablished && s.rtt_us != 0) {
    local_.AddRtt(s.local_port, s.rtt_us);
    remote_.AddRtt(s.remote_port, s.rtt_us);
  }
}

void SocketTally::AddTcpCounts(const tcp_iter::TcpCounts& counts) {
  for (size_t f = 0; f < kInetFamilies; ++f) {
    const tcp_iter::StateSums& sums = counts.family[f];
    StateCounts& c = inet_[Index(Protocol::kTcp, static_cast<socket_table::Family>(f))];
    for (size_t s = 0; s < tcp_iter::kStates; ++s) {
      if (s >= kStates) {
        unknown_ += sums.sockets[s];
        continue;
      }
      c.sockets[s] += sums.sockets[s];
      c.receive_queue[s] += sums.receive_queue[s];
      c.send_queue[s] += sums.send_queue[s];
    }
  }
  auto add = [](const std::vector<tcp_iter::PortStates>& ports, PortCounts* to) {
    for (const tcp_iter::PortStates& p : ports) {
      for (size_t s = 0; s < kStates; ++s) to->Add(p.port, static_cast<uint8_t>(s), p.sockets[s]);
      to->AddRtt(p.port, p.rtt);
    }
  };
  add(counts.local_ports, &local_);
  add(counts.remote_ports, &remote_);
}

void SocketTally::AddUnix(const UnixSocket& s) {
  const int kind = UnixKindIndex(s.type);
  if (kind < 0 || s.state >= kStates) {
    ++unknown_;
    return;
  }
  ++unix_[kind][s.state];
}

void SocketTally::Save() {
  saved_inet_ = inet_;
  saved_unix_ = unix_;
  saved_unknown_ = unknown_;
  local_.Save();
  remote_.Save();
}

void SocketTally::Restore() {
  inet_ = saved_inet_;
  unix_ = saved_unix_;
  unknown_ = saved_unknown_;
  local_.Restore();
  remote_.Restore();
}

int UnixKindIndex(uint8_t type) {
  switch (type) {
    case SOCK_STREAM:
      return 0;
    case SOCK_DGRAM:
      return 1;
    case SOCK_SEQPACKET:
      return 2;
    default:
      return -1;
  }
}

const char* UnixKindName(size_t kind) {
  static constexpr const char* kNames[] = {"stream", "dgram", "seqpacket"};
  return kind < kUnixKinds ? kNames[kind] : "";
}

}  // namespace netstat::sockets
