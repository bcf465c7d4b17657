// Every socket fd of the host from one read of a BPF iterator (socket_fds.bpf.c, an
// iter/task_file program), instead of a statx of /proc/PID/fd/FD per descriptor: the
// BPF side of the socket owners of process_sockets and of the listeners' owner
// resolver, which keep their /proc/*/fd walk as the fallback.
//
// Pids are numbers in the initial pid namespace (task->tgid), and the iterator visits
// the tasks of the reader's pid namespace: the walk is right for a procfs of the host
// pid namespace, read by an exporter running in it. ReadHostWalk checks that: the
// reader's own pid as the program sees it must be the one the procfs calls "self".
//
// Unlike /proc/PID/fd, the iterator shows every process's fds whatever capabilities
// the exporter kept: no CAP_SYS_PTRACE or CAP_DAC_READ_SEARCH is needed to name owners.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "readers/owners/owner_decode.h"

namespace netstat::owners {

class OwnerWalk {
 public:
  // The process's walk, loaded by the first call and kept until exit: loading needs
  // CAP_BPF and CAP_PERFMON, which the daemon drops after start, but reading a loaded
  // iterator needs none, so collectors call this when they are built (at start) and a
  // reload reuses what start loaded. nullptr, with the reason in *error, when it cannot
  // load (BPF not built in, no BTF, no privilege); a later call tries again.
  static std::shared_ptr<OwnerWalk> Shared(std::string* error);

  ~OwnerWalk();
  // Every socket fd of the host in one pass, ascending (pid, fd), with the processes
  // holding them. `kinds`: fill SocketKind too (one or two more cache misses per socket,
  // about a third more time; left zero otherwise). Concurrent callers take turns.
  bool Read(HostWalk* out, std::string* error, bool kinds = false);
  // The same, the fds only.
  bool Read(std::vector<SocketFd>* out, std::string* error, bool kinds = false);

  struct Impl;

 private:
  explicit OwnerWalk(std::unique_ptr<Impl> impl);
  std::mutex mu_;
  std::unique_ptr<Impl> impl_;
  size_t last_fds_ = 0;  // the previous read's size, to reserve the next one's
};

// Test knob: NETSTAT_EXPORTER_NO_BPF_OWNERS=1 in the environment (read once per
// process) makes every user take the /proc/*/fd walk, as if BPF could not load. The e2e
// tests compare both paths with it; it is not meant for operators.
bool ForcedProcWalk();

// A walk of the whole host, shared by the collectors of one collection.
struct SharedHostWalk {
  HostWalk walk;
  std::chrono::steady_clock::time_point started;  // when the read began
};

// A fresh walk for a procfs whose "self" is `procfs_self_pid` (procfs::Site::self_pid),
// kept as the latest for LatestHostWalk. nullptr, with the reason, when the BPF walk
// cannot stand in for the /proc walk: the knob above, no procfs self (a fake tree), BPF
// not loaded, a failed read, or a procfs that numbers pids differently from the initial
// namespace. Loads the program when not yet loaded (see Shared). `kinds` as for Read.
std::shared_ptr<const SharedHostWalk> ReadHostWalk(int32_t procfs_self_pid, std::string* why,
                                                   bool kinds = false);

// The latest walk ReadHostWalk made, if it began at or after `since` (the start of the
// caller's collection: process_sockets reads at the start of the socket reading, so a
// listeners collector of the same run finds it) and someone still holds it (only a weak
// reference is kept here: process_sockets keeps its walk until its Collect, so the walk
// of 200k sockets, ~5 MB, is not kept between collections); else nullptr.
std::shared_ptr<const SharedHostWalk> LatestHostWalk(std::chrono::steady_clock::time_point since);

}  // namespace netstat::owners
