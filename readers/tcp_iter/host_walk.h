// The TCP sockets of many network namespaces read in one walk of the host's kernel
// hashes (tcp_host.bpf.c), for `namespaces: {mode: all}`: one netlink dump per namespace
// walks the whole shared established hash to find that namespace's few sockets; this
// walks it once for all of them, and the listening hash once, from the host's namespace.
//
//   std::string error;
//   auto walk = HostWalk::Shared(&error);     // nullptr: BPF cannot load; use netlink
//   std::vector<HostNamespace> out;
//   if (walk && walk->Walk(inodes, remote_ports, &out, &error)) {
//     for (auto& ns : out) if (!ns.complete) { /* read ns.inode by netlink */ }
//   }
//
// Loaded once per process like TcpIterCounter::Shared: loading needs CAP_BPF and
// CAP_PERFMON; running the loaded program later needs no privilege. Run it from the
// host's network namespace (one whose TCP hash is the shared one: Walk fails otherwise).
// Namespaces made while net.ipv4.tcp_child_ehash_entries was set have a hash of their
// own: Walk finds them in the kernel's list of namespaces and walks each such hash too
// (up to 65,536 buckets; a larger one is reported incomplete).
// The same Walk reads the caller's UDP table and the UDP-Lite table once and gives each
// namespace its UDP sockets (HostNamespace::udp); a namespace with a UDP table of its
// own (net.ipv4.udp_child_hash_entries) has that table walked too, as an own TCP hash.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "readers/tcp_iter/host_walk_decode.h"

namespace netstat::tcp_iter {

class HostWalk : public HostCounter {
 public:
  // The process's walk, loaded by the first call; nullptr with the reason in *error when
  // it cannot load (BPF not built in, no BTF, no privilege); a later call tries again.
  static std::shared_ptr<HostWalk> Shared(std::string* error);
  ~HostWalk() override;

  size_t max_namespaces() const override { return NETSTAT_HOST_MAX_NS; }

  // One run over the host for the namespaces with these inodes (net:[INODE]; the
  // caller's own may be among them; at most NETSTAT_HOST_MAX_NS distinct). *out gets one
  // HostNamespace per distinct inode, in ascending inode order; a namespace that is gone
  // or was not read completely has complete = false. `remote_ports`: counted per state
  // for every namespace; `extra_local_ports`: counted as local ports for every namespace
  // besides its own listening ports. False, with the reason, when the walk failed as a
  // whole (nothing usable). Concurrent callers take turns.
  bool Walk(const std::vector<uint64_t>& inodes, const std::vector<uint16_t>& remote_ports,
            std::vector<HostNamespace>* out, std::string* error,
            const std::vector<uint16_t>& extra_local_ports);
  bool Walk(const std::vector<uint64_t>& inodes, const std::vector<uint16_t>& remote_ports,
            std::vector<HostNamespace>* out, std::string* error) override {
    return Walk(inodes, remote_ports, out, error, {});
  }

  struct Stats {  // of the last Walk, for tests and the timing tool
    uint64_t ehash_buckets = 0, lhash_buckets = 0, nets_seen = 0;
    uint64_t restarts = 0, listen_restarts = 0;
    uint64_t udp_buckets = 0, udplite_buckets = 0, udp_restarts = 0, udp_records = 0;
    uint64_t raw_buckets = 0;     // both raw tables' slots
    uint32_t own_udp_tables = 0;  // namespaces' own UDP tables walked to the end
    uint32_t runs = 0;            // BPF_PROG_TEST_RUN calls
  };
  Stats last_stats() const { return stats_; }

  struct Impl;

 private:
  explicit HostWalk(std::unique_ptr<Impl> impl);
  std::mutex mu_;
  std::unique_ptr<Impl> impl_;
  Stats stats_;
};

}  // namespace netstat::tcp_iter
