// The pure half of HostWalk (host_walk.h): what one walk of the host's TCP hashes
// (tcp_host.bpf.c) returns per network namespace, the layout of its port rows and of
// the (namespace, local port) table the program looks rows up in, and the decoding of
// the program's memory into HostNamespace. No BPF here: tested without a kernel.
#pragma once

#include <linux/types.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "readers/socket_table/socket_table.h"
#include "readers/tcp_iter/host_counts.h"
#include "readers/tcp_iter/host_walk_layout.h"
#include "readers/tcp_iter/tcp_count_layout.h"
#include "readers/tcp_iter/tcp_counts.h"

namespace netstat::tcp_iter {

// Where each namespace's port counts go in the program's rows (row 0 unused): the local
// ports of namespace i first, then remote port j of namespace i at
// remote_base + i * remote.size() + j.
struct HostRows {
  std::vector<std::vector<uint16_t>> local;      // per namespace, ascending, distinct
  std::vector<std::vector<uint32_t>> local_row;  // the row of each
  std::vector<uint16_t> remote;                  // ascending, distinct
  uint32_t remote_base = 0;
  uint32_t used = 1;           // rows in use, row 0 included
  std::vector<bool> table_ok;  // false: a port of this namespace did not fit the table
};

// Rows for the namespaces' local ports (index = namespace) and the remote ports; false
// when they need more than NETSTAT_HOST_MAX_ROWS rows.
bool PlanRows(std::vector<std::vector<uint16_t>> local, std::vector<uint16_t> remote,
              HostRows* rows);

// The open-addressing table of (namespace, local port) -> row as the program probes it:
// key (index + 1) << 16 | port, slot by a multiplicative hash, linear probing, at most
// NETSTAT_HOST_LPORT_PROBES slots. `keys` and `values` have NETSTAT_HOST_LPORT_TABLE
// entries and are zeroed first. A port that does not fit marks rows->table_ok false for
// its namespace (its port counts would be missing: that namespace is incomplete).
uint32_t LocalPortSlot(uint32_t key);
void FillLocalPortTable(HostRows* rows, uint32_t* keys, uint32_t* values);
// The row of (namespace, port) as the program finds it; 0 none.
uint32_t LookupLocalPort(const uint32_t* keys, const uint32_t* values, uint32_t ns, uint16_t port);

// The program's results, pointing into its memory (or a test's copy of it).
struct HostRaw {
  size_t ns_count = 0;
  const netstat_host_ns* ns = nullptr;               // [ns_count]
  const netstat_tcp_totals* totals = nullptr;        // [ns_count]
  const __u32 (*port_counts)[kStates] = nullptr;     // [rows.used]
  const netstat_tcp_port_rtt* port_rtt = nullptr;    // [rows.used]; may be null
  const netstat_host_listener* listeners = nullptr;  // [listener_count]
  size_t listener_count = 0;
  bool listener_overflow = false;
  bool host_incomplete = false;           // unstable or long chains in the host's established hash
  bool listen_incomplete = false;         // the same in the listening hash
  const netstat_host_udp* udp = nullptr;  // [udp_count]
  size_t udp_count = 0;
  bool udp_incomplete = false;  // a UDP table not read completely: no namespace's UDP
  bool raw_incomplete = true;   // the raw tables not read completely: no namespace's raw
};

// A listener record as sock_diag would give it.
socket_table::InetSocket ListenerSocket(const netstat_host_listener& l);
// A UDP (or raw) record as udp_diag (or /proc/net/raw) would give it.
socket_table::InetSocket UdpSocket(const netstat_host_udp& u);

// One HostNamespace per inode of `inodes` (ascending, distinct: index i is inodes[i]).
std::vector<HostNamespace> DecodeHost(const HostRaw& raw, const std::vector<uint64_t>& inodes,
                                      const HostRows& rows);

}  // namespace netstat::tcp_iter
