// Socket inode -> owning process, cheaply across scrapes. A cached owner (pid, fd, start
// time) is checked with one statx of /proc/PID/fd/FD plus the pid's stat; only when
// some inode is new or its owner gone does a walk run: one read of the BPF owner walk
// (readers/owners) when UseBpfWalk allowed it and it works, else /proc/*/fd. Where the
// BPF walk works and took less time than checking the cached owners one by one did (a
// host with many owners and few fds: a node of pods), it replaces the checks, and its
// task records spare the process table the owners' stat files. Either
// visits pids in ascending order, so the first holder found is the lowest pid (pre-fork
// servers share one socket among many processes), and its lowest fd; the /proc walk
// stops once every inode has one.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "readers/proctable/process_table.h"

namespace netstat::proctable {

struct Owner {
  int32_t pid = 0;
  int32_t fd = -1;
  uint64_t starttime = 0;
  bool operator==(const Owner&) const = default;
};

struct ResolveStats {
  bool walked = false;             // this call walked (/proc/*/fd, or the BPF walk)
  bool bpf = false;                // the walk was the BPF one
  bool reused = false;             // a BPF walk of this collection read by another collector
  uint64_t pids = 0;               // process fd directories opened by the walk
  uint64_t fds = 0;                // fd links looked at by the walk
  uint64_t denied = 0;             // fd directories we may not read (EACCES/EPERM)
  uint64_t verified = 0;           // cached owners confirmed with one statx
  bool instead_of_checks = false;  // the BPF walk ran because it costs less than checks
  uint64_t unresolved = 0;         // inodes left without an owner
};

class OwnerResolver {
 public:
  using Clock = std::chrono::steady_clock;

  // `ownerless_retry`: how long an inode that a whole walk did not find (kernel-held
  // sockets, processes in another pid namespace) waits before it may trigger another
  // walk; it doubles on each miss up to 64 times the first value.
  OwnerResolver(std::string procfs, ProcessTable* processes,
                Clock::duration ownerless_retry = std::chrono::seconds(15));
  ~OwnerResolver();
  OwnerResolver(const OwnerResolver&) = delete;
  OwnerResolver& operator=(const OwnerResolver&) = delete;

  // Walks with the BPF owner walk, for a procfs whose "self" is `procfs_self_pid`
  // (procfs::Site::self_pid; 0 leaves the /proc walk). Loads it now, at start, while the
  // daemon has the capabilities to. The /proc walk stays the fallback.
  void UseBpfWalk(int32_t procfs_self_pid);

  // Owners of `inodes` (the processes table must be in a scrape: BeginScrape called).
  // Inodes without a readable holder are absent from *owners. A BPF walk that began at
  // or after `reuse_since` (another collector's of the same collection) is used instead
  // of a new one when it has every inode that made the walk necessary.
  void Resolve(const std::vector<uint64_t>& inodes, std::unordered_map<uint64_t, Owner>* owners,
               Clock::time_point reuse_since = Clock::time_point::max());

  // Checks the cached owners now, for the next Resolve, which then takes the result
  // instead of checking: a collector calls it on another thread while the sockets are
  // being read (the inodes to resolve are not known yet; the cached ones mostly are).
  // The caller keeps the process table and this resolver to that thread until it ends.
  void Precheck();

  const ResolveStats& stats() const { return stats_; }
  // Test knob: what the last BPF walk and the last check of one owner cost, as measured.
  void set_costs(double walk_ns, double check_ns) {
    walk_ns_ = walk_ns;
    check_ns_ = check_ns;
  }

 private:
  struct Ownerless {
    Clock::time_point retry_at;
    Clock::duration backoff;
  };
  bool Verify(uint64_t inode, const Owner& owner);
  // Whether to walk rather than check, the checks' cost weighted by `checks_weight`.
  bool WalkInsteadOfChecks(double checks_weight);
  // Checks every cached owner; the inodes still theirs go to checked_.
  void CheckCached();
  // The held /proc/PID/fd directory of a cached owner's process (when the process table
  // holds files: a live procfs), opened on first use; -1 when not held.
  int FdDirectory(const Owner& owner);
  // Closes the held directories of processes that own no cached inode any more.
  void ReleaseDirectories();
  // Walks; sets pid/fd of every entry of *wanted whose inode some process holds.
  // `needed`: the inodes that made the walk necessary.
  void Walk(std::unordered_map<uint64_t, Owner>* wanted, const std::vector<uint64_t>& needed,
            Clock::time_point reuse_since);
  // The BPF walk; false when it is not to be used (the reason logged once).
  bool WalkBpf(std::unordered_map<uint64_t, Owner>* wanted, const std::vector<uint64_t>& needed,
               Clock::time_point reuse_since);
  void WalkPid(int32_t pid, std::unordered_map<uint64_t, Owner>* wanted, size_t* remaining);

  std::string procfs_;
  ProcessTable* processes_;
  Clock::duration ownerless_retry_;
  int32_t bpf_self_pid_ = 0;
  std::string bpf_failure_;  // the last reason the BPF walk was not used
  // What each way cost the last time it ran, smoothed: a BPF walk read (not reused), and
  // one cached owner's check (its statx and its share of the stat files read).
  double walk_ns_ = 0;
  double check_ns_ = 0;
  static constexpr uint64_t kRecheckEvery = 16;
  static constexpr double kPrecheckAdvantage = 4;  // prechecks cost this much less
  uint64_t walks_instead_ = 0;
  uint64_t opened_ = 0;  // directories opened to be held, ever
  // This scrape's choice and checks, made by Precheck or at the start of Resolve.
  bool prechecked_ = false;
  bool instead_of_checks_ = false;
  std::unordered_set<uint64_t> checked_;
  std::unordered_map<uint64_t, Owner> cache_;
  std::unordered_map<uint64_t, Ownerless> ownerless_;
  // By pid: an O_PATH fd of /proc/PID/fd and the start time of the process it is of. A
  // statx through it looks up one name instead of four, and it never reaches another
  // process that reused the pid.
  struct HeldDirectory {
    int fd = -1;
    uint64_t starttime = 0;
  };
  std::unordered_map<int32_t, HeldDirectory> directories_;
  ResolveStats stats_;
};

}  // namespace netstat::proctable
