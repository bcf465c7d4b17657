// Who holds each socket, host-wide: one walk per collection of every process's socket
// fds, in ascending pid order, so a socket shared by several processes (a forked
// server's listener) belongs to the lowest pid, as the listeners collector has it.
// The walk is one read of the BPF owner walk (readers/owners) when it loads and the
// procfs is the host's, else /proc/*/fd (a statx per fd), and the same on any failure.
// A process is counted under the name it had when its fds were listed: the /proc walk
// reads the name before the fds; the BPF walk records the comm and start time with the
// fds, and a process renamed since (exec, prctl) keeps the recorded comm (or, when
// that was cut at 15 bytes and cannot be completed any more, counts as gone), one whose
// pid was reused counts as gone.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "collectors/process_sockets/inode_map.h"
#include "readers/owners/owner_walk.h"
#include "readers/proctable/process_table.h"
#include "readers/proctable/user_names.h"

namespace netstat::process_sockets {

// The labels a process's sockets are published under.
struct GroupKey {
  std::string process;
  std::string user;  // empty unless the user label is wanted
  int32_t pid = 0;   // 0 unless the pid label is wanted
  bool operator==(const GroupKey&) const = default;
};

// The TCP sockets other than listeners that one owner holds in one network namespace,
// by family and state, from a BPF walk with socket kinds: the sockets the reading counts
// in the kernel (sockets.source bpf) instead of dumping them, so that their owners need
// no dump. Only sockets in the kernel's established hash, as that count and sock_diag
// have them: not closed ones (state 7: no hash holds them) nor listeners (dumped).
struct OwnedTcp {
  static constexpr size_t kStates = 13;
  uint32_t netns = 0;  // the namespace's inode
  uint32_t owner = 0;
  std::array<uint32_t, 2 * kStates> sockets{};  // [family (0 ipv4, 1 ipv6) * kStates + state]
};

struct WalkStats {
  uint64_t pids = 0;     // fd directories read
  uint64_t fds = 0;      // fd links looked at
  uint64_t sockets = 0;  // socket fds (a shared socket counts once per holder)
  uint64_t denied = 0;   // fd directories we may not read
};

class SocketOwners {
 public:
  // `bpf_self_pid`: procfs::Site::self_pid to try the BPF walk (loaded here, at start),
  // 0 for /proc/*/fd only.
  SocketOwners(std::string procfs, bool live, bool want_user, bool want_pid,
               int32_t bpf_self_pid = 0);

  // Walks afresh: every socket held by a process whose name could be read. `tcp_kinds`:
  // on the BPF walk, read each socket's kind too and fill owned_tcp().
  void Walk(bool tcp_kinds = false);
  // Whether the last walk was the BPF one.
  bool used_bpf() const { return used_bpf_; }
  // Whether the last walk filled owned_tcp(): a BPF walk asked for kinds.
  bool knows_tcp() const { return knows_tcp_; }
  // Those sockets, ascending (netns, owner); `netns`: the entries of one namespace.
  const std::vector<OwnedTcp>& owned_tcp() const { return owned_tcp_; }
  std::pair<const OwnedTcp*, const OwnedTcp*> OwnedTcpIn(uint32_t netns) const;
  // Lets go of the BPF walk, which Walk keeps so that the listeners of the same
  // collection may use it too (owners::LatestHostWalk): the collector calls this once
  // its run is published.
  void Release() { walk_.reset(); }

  // The owner index of a socket inode, or InodeMap::kNone.
  uint32_t OwnerOf(uint64_t inode) const { return inodes_.Find(inode); }
  size_t owners() const { return owners_.size(); }
  // The group of an owner (an index into groups()).
  uint32_t GroupOf(uint32_t owner) const { return owners_[owner].group; }
  const std::vector<GroupKey>& groups() const { return groups_; }

  // Whether the owner is still the same process and not exiting: a process that began
  // to exit may have closed part of its sockets while they were counted, so its count
  // is not trusted. Read once per owner per walk.
  bool StillAlive(uint32_t owner);

  const WalkStats& stats() const { return stats_; }
  const InodeMap& inodes() const { return inodes_; }

 private:
  struct Owner {
    int32_t pid = 0;
    uint64_t starttime = 0;
    uint32_t group = 0;
    int8_t alive = -1;  // StillAlive's answer once asked: -1 not yet, 0, 1
  };
  std::vector<int32_t> ListPids() const;
  void WalkPid(int32_t pid);
  bool WalkBpf(bool kinds);  // false: the BPF walk is not to be used now (reason logged once)
  void CountTcp(const owners::SocketKind& kind, uint32_t owner);
  void AddOwner(int32_t pid, uint64_t starttime, const std::string& name);
  uint32_t GroupFor(int32_t pid, const std::string& name);

  std::string procfs_;
  bool want_user_;
  bool want_pid_;
  int32_t bpf_self_pid_;
  bool used_bpf_ = false;
  bool knows_tcp_ = false;
  std::vector<OwnedTcp> owned_tcp_;
  std::unordered_map<uint64_t, uint32_t> owned_tcp_index_;  // (netns << 32 | owner) -> index
  std::shared_ptr<const owners::SharedHostWalk> walk_;      // the last BPF walk, until Release
  std::string bpf_failure_;  // the last reason the BPF walk was not used, logged once
  proctable::ProcessTable processes_;
  proctable::UserNames users_;
  InodeMap inodes_;
  std::vector<Owner> owners_;
  std::vector<GroupKey> groups_;
  std::unordered_map<std::string, uint32_t> group_index_;  // by an encoded GroupKey
  std::vector<uint64_t> pid_sockets_;                      // scratch: one process's inodes
  std::string buffer_;
  WalkStats stats_;
  size_t last_sockets_ = 0;  // the previous walk's socket count, to size the map
};

}  // namespace netstat::process_sockets
