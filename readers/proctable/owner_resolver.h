// Socket inode -> owning process, cheaply across scrapes. A cached owner (pid, fd, start
// time) is checked with one statx of /proc/PID/fd/FD plus the pid's stat; only when
// some inode is new or its owner gone does a walk of /proc/*/fd run. The walk visits
// pids in ascending order, so the first holder found is the lowest pid (pre-fork servers
// share one socket among many processes) and it stops once every inode has one.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "readers/proctable/process_table.h"

namespace netstat::proctable {

struct Owner {
  int32_t pid = 0;
  int32_t fd = -1;
  uint64_t starttime = 0;
};

struct ResolveStats {
  bool walked = false;      // this call walked /proc/*/fd
  uint64_t pids = 0;        // process fd directories opened by the walk
  uint64_t fds = 0;         // fd links looked at by the walk
  uint64_t denied = 0;      // fd directories we may not read (EACCES/EPERM)
  uint64_t verified = 0;    // cached owners confirmed with one statx
  uint64_t unresolved = 0;  // inodes left without an owner
};

class OwnerResolver {
 public:
  using Clock = std::chrono::steady_clock;

  // `ownerless_retry`: how long an inode that a whole walk did not find (kernel-held
  // sockets, processes in another pid namespace) waits before it may trigger another
  // walk; it doubles on each miss up to 64 times the first value.
  OwnerResolver(std::string procfs, ProcessTable* processes,
                Clock::duration ownerless_retry = std::chrono::seconds(15));

  // Owners of `inodes` (the processes table must be in a scrape: BeginScrape called).
  // Inodes without a readable holder are absent from *owners.
  void Resolve(const std::vector<uint64_t>& inodes, std::unordered_map<uint64_t, Owner>* owners);

  const ResolveStats& stats() const { return stats_; }

 private:
  struct Ownerless {
    Clock::time_point retry_at;
    Clock::duration backoff;
  };
  bool Verify(uint64_t inode, const Owner& owner);
  // Walks /proc/*/fd; sets pid/fd of every entry of *wanted whose inode some process holds.
  void Walk(std::unordered_map<uint64_t, Owner>* wanted);
  void WalkPid(int32_t pid, std::unordered_map<uint64_t, Owner>* wanted, size_t* remaining);

  std::string procfs_;
  ProcessTable* processes_;
  Clock::duration ownerless_retry_;
  std::unordered_map<uint64_t, Owner> cache_;
  std::unordered_map<uint64_t, Ownerless> ownerless_;
  ResolveStats stats_;
};

}  // namespace netstat::proctable
