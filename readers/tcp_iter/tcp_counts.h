// TCP sockets counted inside the kernel (tcp_count.bpf.c) instead of dumped one by one:
// the result of one run, its decoding from the program's memory, and the choice between
// that and the netlink dump (`sockets: {source: auto|netlink|bpf}`). Pure: no BPF here,
// so the decoding and the choice are tested without a kernel.
#pragma once

#include <linux/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "readers/tcp_iter/tcp_count_layout.h"

namespace netstat::tcp_iter {

constexpr size_t kStates = 16;      // kernel state codes 0..15
constexpr size_t kMaxSlots = 4096;  // NETSTAT_TCP_MAX_SLOTS: slot 0 means untracked

using SourceMode = config::SocketsConfig::Source;

// The hosts with fewer TCP sockets than this (TCP + TCP6 inuse + tw in
// /proc/net/sockstat{,6}) are read by netlink in auto mode: below it, counting in the
// kernel costs more than the netlink dump of so few sockets, because either program
// visits every bucket of the kernel's hash. Measured on the project machine (2 cores,
// Linux 6.18, 262,144 buckets) with tests/bench/sockets_bpf_bench.sh, in-process wall
// time against the dump of the same sockets:
//   - the hash walk (tcp_ehash.bpf.c): 1.19x at 500 sockets, 0.89x at 1,000, 0.51x at
//     2,000, 0.28x at 200k;
//   - the iterator (tcp_count.bpf.c): 1.10x at 5,100, about 1.0x at 8,100, 0.89x at
//     12,100, 0.73x at 200k.
constexpr uint64_t kWalkCrossover = 1000;
constexpr uint64_t kIteratorCrossover = 8000;
constexpr uint64_t kAutoCrossover = kIteratorCrossover;  // a counter that says nothing else

struct StateSums {
  std::array<uint64_t, kStates> sockets{};
  std::array<uint64_t, kStates> receive_queue{};  // bytes, as inet_diag's idiag_rqueue
  std::array<uint64_t, kStates> send_queue{};
};

// The smoothed RTTs of a port's established connections that have one (srtt > 0).
struct RttSums {
  uint64_t sum_us = 0;
  uint32_t max_us = 0;
  uint32_t sockets = 0;  // how many were summed
  void Add(uint32_t rtt_us) {
    if (rtt_us == 0) return;
    sum_us += rtt_us;
    max_us = rtt_us > max_us ? rtt_us : max_us;
    ++sockets;
  }
  void Merge(const RttSums& o) {
    sum_us += o.sum_us;
    max_us = o.max_us > max_us ? o.max_us : max_us;
    sockets += o.sockets;
  }
};

inline RttSums RttOf(const netstat_tcp_port_rtt& r) { return {r.sum_us, r.max_us, r.sockets}; }

struct PortStates {
  uint16_t port = 0;
  std::array<uint64_t, kStates> sockets{};  // by state
  RttSums rtt;                              // established ones
};

// TCP sockets other than listeners of one network namespace, by family and state (as
// inet_diag reports them: request sockets as syn_recv, time-wait ones by substate), and
// for the tracked ports by local or remote port and state.
struct TcpCounts {
  std::array<StateSums, 2> family{};     // ipv4, ipv6
  std::vector<PortStates> local_ports;   // the tracked ones, ascending
  std::vector<PortStates> remote_ports;  // the tracked ones, ascending
};

// The tracked ports, sorted and distinct, and their slots: local_ports[i] is slot i + 1,
// remote_ports[j] slot local_ports.size() + 1 + j. Fits() is false when there are more
// than the program has slots for.
struct PortSlots {
  PortSlots(std::vector<uint16_t> local, std::vector<uint16_t> remote);
  bool Fits() const { return local.size() + remote.size() + 1 <= kMaxSlots; }
  uint32_t LocalSlot(size_t i) const { return static_cast<uint32_t>(i + 1); }
  uint32_t RemoteSlot(size_t j) const { return static_cast<uint32_t>(local.size() + 1 + j); }
  size_t used() const { return local.size() + remote.size() + 1; }

  std::vector<uint16_t> local;
  std::vector<uint16_t> remote;
};

// The program's totals and port counts (rows of kStates by slot) as TcpCounts.
// `sockets`, `receive_queue`, `send_queue`: [family][state] as in tcp_count_layout.h.
struct RawTotals {
  const uint64_t (*sockets)[kStates];
  const uint64_t (*receive_queue)[kStates];
  const uint64_t (*send_queue)[kStates];
};
// `port_rtt` (by slot, may be null): the RTTs of each slot's established connections.
TcpCounts Decode(const RawTotals& totals, const uint64_t (*port_counts)[kStates],
                 const PortSlots& slots, const netstat_tcp_port_rtt* port_rtt = nullptr);

// TCP sockets of the namespace from /proc/net/sockstat ("TCP: inuse N orphan O tw T ...")
// and /proc/net/sockstat6 ("TCP6: inuse M"): N + T + M. Empty when sockstat has no TCP
// line; a missing sockstat6 (no IPv6) counts 0.
std::optional<uint64_t> TcpSocketsInUse(std::string_view sockstat, std::string_view sockstat6);

// Whether a run counts TCP in the kernel: never in netlink mode or when the program is
// not loaded; always in bpf mode; in auto mode when the namespace holds at least
// `crossover` TCP sockets (unknown: netlink). `using_now` (the last run's choice) adds
// hysteresis: auto leaves the iterator only below 4/5 of the crossover, so a host near it
// does not switch, and log the switch, on every scrape.
bool UseIterator(SourceMode mode, bool loaded, std::optional<uint64_t> tcp_sockets,
                 bool using_now = false, uint64_t crossover = kAutoCrossover);

// Counts the TCP sockets other than listeners of the calling thread's network namespace
// (TcpIterCounter, or a test's fake). Count is false, with the reason in *error, when
// the run failed; `local_ports` and `remote_ports` are the ports to count per state.
class TcpCounter {
 public:
  virtual ~TcpCounter() = default;
  // The number of TCP sockets from which auto mode counts with this counter.
  virtual uint64_t AutoCrossover() const { return kAutoCrossover; }
  virtual bool Count(const std::vector<uint16_t>& local_ports,
                     const std::vector<uint16_t>& remote_ports, TcpCounts* out,
                     std::string* error) = 0;
};

}  // namespace netstat::tcp_iter
