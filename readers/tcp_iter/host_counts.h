// The whole host's TCP in one pass of the kernel (namespaces.mode all): what one walk of
// the host's TCP hashes gives for each network namespace asked for. Pure: the walk itself
// is HostWalk (host_walk.h); tests use a fake HostCounter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "readers/socket_table/socket_table.h"
#include "readers/tcp_iter/tcp_counts.h"

namespace netstat::tcp_iter {

struct HostNamespace {
  uint64_t inode = 0;  // net:[INODE]
  // False: the walk did not cover this namespace (its hash could not be walked, or not
  // completely); the caller reads it by netlink as without BPF.
  bool complete = false;
  bool own_hash = false;  // its established hash is its own (tcp_child_ehash_entries)
  // TCP sockets other than listeners, as TcpCounter::Count gives them; local_ports are
  // this namespace's listening ports, remote_ports the ones asked for.
  TcpCounts counts;
  // TCP listeners, with the fields sock_diag gives (queue now and limit, inode, uid,
  // bound device), in no particular order.
  std::vector<socket_table::InetSocket> listeners;
  // False: its UDP sockets were not read completely (a table, the host's, UDP-Lite's or
  // its own from udp_child_hash_entries, changed too fast or had a slot of more than
  // 1,024 sockets; more than NETSTAT_HOST_MAX_UDP records; the namespace is gone): read
  // them by netlink. Independent of `complete`.
  bool udp_complete = false;
  // Its UDP and UDP-Lite sockets of both families, with the fields udp_diag gives
  // (state 1 connected or 7 unconnected, addresses, queues, uid, inode, bound device),
  // in no particular order.
  std::vector<socket_table::InetSocket> udp;
  // The same for its raw sockets (both families, as /proc/net/raw{,6} show them: the
  // protocol as local port), which are in two tables every namespace shares.
  bool raw_complete = false;
  std::vector<socket_table::InetSocket> raw;
  // True: its unix socket table was empty when the walk read it (Linux 6.0+, where each
  // namespace has one), so a unix_diag dump would find nothing; false: dump it.
  bool unix_empty = false;
};

class HostCounter {
 public:
  virtual ~HostCounter() = default;
  // The most namespaces one Walk takes; more are walked in batches.
  virtual size_t max_namespaces() const { return SIZE_MAX; }
  // One pass over the host for the namespaces with these inodes; `out` gets one entry
  // per distinct inode asked for (find them by inode: HostWalk gives them ascending).
  // False, with *error, when the run failed.
  virtual bool Walk(const std::vector<uint64_t>& inodes, const std::vector<uint16_t>& remote_ports,
                    std::vector<HostNamespace>* out, std::string* error) = 0;
};

// The counts of `ns` for the ports a consumer asks for: each asked port (sorted,
// distinct) with the walk's row, or zeros when the walk did not count it.
TcpCounts CountsFor(const TcpCounts& walked, const std::vector<uint16_t>& local_ports,
                    const std::vector<uint16_t>& remote_ports);

}  // namespace netstat::tcp_iter
