// One pass over the whole host's TCP for a run with namespaces.mode all (sockets.source
// bpf, or auto with other namespaces to read): the listeners and counts of every
// namespace from one walk of the host's TCP hashes (tcp_iter::HostCounter) instead of one
// sock_diag dump per namespace, each of which walks the whole shared established hash.
// A namespace the walk did not cover is read as before.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "readers/tcp_iter/host_counts.h"
#include "readers/tcp_iter/tcp_counts.h"

namespace netstat::socket_reading {

// A TcpCounter that answers from a walk already made: the rows of the ports asked.
class PrecountedCounter : public tcp_iter::TcpCounter {
 public:
  explicit PrecountedCounter(const tcp_iter::TcpCounts& counts) : counts_(counts) {}
  bool Count(const std::vector<uint16_t>& local_ports, const std::vector<uint16_t>& remote_ports,
             tcp_iter::TcpCounts* out, std::string* /*error*/) override {
    *out = tcp_iter::CountsFor(counts_, local_ports, remote_ports);
    return true;
  }

 private:
  const tcp_iter::TcpCounts& counts_;
};

class HostPass {
 public:
  // Whether this run walks the host: never in netlink mode or without a walker; in bpf
  // mode always; in auto mode when there is at least one other namespace to read, since
  // then the one walk replaces two or more walks of the same shared hash (one per
  // namespace's dump), whatever the number of sockets.
  static bool Wanted(tcp_iter::SourceMode mode, bool have_walker, size_t other_namespaces);

  // One walk for `inodes`; false (logged once per distinct reason) when it failed, and
  // then Find answers nullptr for every namespace.
  bool Run(tcp_iter::HostCounter& walker, const std::vector<uint64_t>& inodes,
           const std::vector<uint16_t>& remote_ports);
  // The walk's result for a namespace it covered completely, else nullptr.
  const tcp_iter::HostNamespace* Find(uint64_t inode) const;
  void Clear();

 private:
  std::vector<tcp_iter::HostNamespace> walked_;
  std::unordered_map<uint64_t, size_t> index_;
};

}  // namespace netstat::socket_reading
