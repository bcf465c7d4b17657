// The kernel side of tcp_health: loads and attaches tcp_health.bpf.c through its skeleton
// (CO-RE, libbpf) and reads its per-port map on demand. Nothing is read between scrapes:
// the counts and histograms stay in the kernel. Without NETSTAT_HAVE_BPF, Open only says
// "BPF not built in". The header needs no libbpf.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "readers/listen_trace/bpf_events.h"
#include "readers/tcp_health/tcp_health_layout.h"

namespace netstat::tcp_health {

using listen_trace::Availability;

struct PortHealth {
  netstat_th_key key;
  netstat_th_value value;
};

struct UdpDrops {
  uint64_t netns = 0;
  uint16_t port = 0;
  uint64_t datagrams = 0;
};

struct PortDrops {
  uint64_t netns = 0;
  uint8_t protocol = 0;  // IPPROTO_TCP or IPPROTO_UDP
  uint16_t port = 0;     // NETSTAT_TH_OTHER_PORT for no_socket
  std::string reason;    // SKB_DROP_REASON_NO_SOCKET -> "no_socket", from the kernel's BTF
  uint64_t packets = 0;
};

class TcpHealthTrace {
 public:
  // Loads and attaches. `only_netns` (an inode; 0: every namespace) limits the counting
  // to one network namespace in the kernel; `max_series` bounds the keys of the per-port
  // map. nullptr with *why set when anything fails.
  static std::unique_ptr<TcpHealthTrace> Open(uint64_t only_netns, uint32_t max_series,
                                              Availability* why);
  ~TcpHealthTrace();  // detaches and unloads

  // The remote ports counted on their own (the rest count as port 0, "other"); takes
  // effect for connections opened from now on.
  void SetRemotePorts(const std::vector<uint16_t>& ports);
  std::vector<PortHealth> Read() const;
  // UDP datagrams dropped for a full receive buffer, per (netns, local port).
  std::vector<UdpDrops> ReadUdpDrops() const;
  // TCP and UDP packets freed with a drop reason, per (netns, protocol, local port, reason).
  std::vector<PortDrops> ReadDrops() const;
  uint64_t Dropped() const;  // events not counted: the map was full
  // Drops the keys of namespaces that no longer exist (`keep` says which do).
  void ForgetNamespaces(const std::function<bool(uint64_t netns)>& keep);

  struct Impl;

 private:
  explicit TcpHealthTrace(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace netstat::tcp_health
