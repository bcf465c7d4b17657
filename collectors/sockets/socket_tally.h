// Counting sockets as a dump hands them over: fixed arrays indexed by protocol, family
// and state, and per-port counts in a small open-addressing table whose ports are
// chosen before the dump. Nothing on the Add path allocates.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <vector>

#include "readers/socket_table/socket_table.h"
#include "readers/tcp_iter/tcp_counts.h"

namespace netstat::sockets {

constexpr size_t kInetProtocols = 4;  // tcp, udp, udplite, raw (socket_table order)
constexpr size_t kInetFamilies = 2;   // ipv4, ipv6
constexpr size_t kStates = 13;        // kernel state codes 0..12
constexpr size_t kUnixKinds = 3;      // stream, dgram, seqpacket

struct StateCounts {
  std::array<uint64_t, kStates> sockets{};
  std::array<uint64_t, kStates> receive_queue{};  // bytes; listeners excluded
  std::array<uint64_t, kStates> send_queue{};
};

// Per-state counts for a fixed set of ports.
class PortCounts {
 public:
  // Allocates; duplicates are fine. Clears every count.
  void Track(const std::vector<uint16_t>& ports);
  bool Tracks(uint16_t port) const { return tracked_[port]; }
  // A no-op for untracked ports or states.
  void Add(uint16_t port, uint8_t state, uint64_t n = 1);
  uint64_t Count(uint16_t port, uint8_t state) const;
  // The RTTs of a port's established connections; a no-op for untracked ports.
  void AddRtt(uint16_t port, const tcp_iter::RttSums& rtt);
  void AddRtt(uint16_t port, uint32_t rtt_us);
  tcp_iter::RttSums Rtt(uint16_t port) const;
  const std::vector<uint16_t>& ports() const { return ports_; }  // sorted, distinct

  void Save() {  // no allocation once the saved vectors have grown
    saved_ = counts_;
    saved_rtt_ = rtt_;
  }
  void Restore() {
    counts_ = saved_;
    rtt_ = saved_rtt_;
  }

 private:
  size_t Slot(uint16_t port) const;  // index into ports_, or SIZE_MAX

  std::bitset<65536> tracked_;
  std::vector<uint16_t> ports_;
  std::vector<uint32_t> table_;         // open addressing: index into ports_ + 1, 0 = empty
  std::vector<uint64_t> counts_;        // ports_.size() * kStates
  std::vector<tcp_iter::RttSums> rtt_;  // by port
  std::vector<uint64_t> saved_;
  std::vector<tcp_iter::RttSums> saved_rtt_;
};

class SocketTally {
 public:
  // Starts a new scrape: zero counts; `listen_ports` and `remote_ports` are the ports
  // for netstat_port_connections and netstat_remote_port_connections.
  void Reset(const std::vector<uint16_t>& listen_ports, const std::vector<uint16_t>& remote_ports);

  // The ports for netstat_port_connections, once a namespace's listeners are known.
  // Counts of those ports start at zero (listeners themselves are never port-counted).
  void TrackListenPorts(const std::vector<uint16_t>& listen_ports) { local_.Track(listen_ports); }

  void AddInet(const socket_table::InetSocket& s);
  void AddUnix(const socket_table::UnixSocket& s);
  // TCP sockets other than listeners counted in the kernel: as AddInet of each.
  void AddTcpCounts(const tcp_iter::TcpCounts& counts);

  // Around one dump: Restore drops whatever was added since Save (a dump that failed
  // or was interrupted and is retried).
  void Save();
  void Restore();

  const StateCounts& Inet(socket_table::Protocol p, socket_table::Family f) const {
    return inet_[Index(p, f)];
  }
  // kind: 0 stream, 1 dgram, 2 seqpacket; state: kListen, kEstablished, kClose.
  uint64_t Unix(size_t kind, uint8_t state) const { return unix_[kind][state]; }
  const PortCounts& local_ports() const { return local_; }
  const PortCounts& remote_ports() const { return remote_; }
  uint64_t unknown() const { return unknown_; }  // sockets in a state we have no name for

 private:
  static size_t Index(socket_table::Protocol p, socket_table::Family f) {
    return static_cast<size_t>(p) * kInetFamilies + static_cast<size_t>(f);
  }

  std::array<StateCounts, kInetProtocols * kInetFamilies> inet_{};
  std::array<std::array<uint64_t, kStates>, kUnixKinds> unix_{};
  PortCounts local_;
  PortCounts remote_;
  uint64_t unknown_ = 0;

  std::array<StateCounts, kInetProtocols * kInetFamilies> saved_inet_{};
  std::array<std::array<uint64_t, kStates>, kUnixKinds> saved_unix_{};
  uint64_t saved_unknown_ = 0;
};

// SOCK_STREAM -> 0, SOCK_DGRAM -> 1, SOCK_SEQPACKET -> 2, else -1.
int UnixKindIndex(uint8_t type);
const char* UnixKindName(size_t kind);

}  // namespace netstat::sockets
