// Every process of the host with its network namespace, from one read of a BPF iterator
// (task_netns.bpf.c, an iter/task program), instead of a readlink of /proc/PID/ns/net per
// process: what netns::Discover needs to find the namespaces that processes are in.
//
// Pids are numbers in the initial pid namespace, so the list stands in for a procfs
// only when that procfs numbers pids the same way: ReadTasks checks that the reader's
// own pid as the program sees it is the one the procfs calls "self".
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace netstat::netns {

struct TaskNetns {
  int32_t pid = 0;          // a thread-group leader
  uint32_t euid = 0;        // its effective uid
  uint64_t start = 0;       // its start (task->start_boottime, ns)
  uint64_t namespace_ = 0;  // its network namespace's inode; 0: exiting
  bool operator==(const TaskNetns&) const = default;
};

class TaskNamespaces {
 public:
  // The process's iterator, loaded by the first call and kept until exit (loading needs
  // CAP_BPF and CAP_PERFMON, which the daemon drops after start; reading needs none).
  // nullptr, with the reason in *error, when it cannot load; a later call tries again.
  static std::shared_ptr<TaskNamespaces> Shared(std::string* error);

  ~TaskNamespaces();
  // Every thread-group leader of the host, ascending pid, and the reader's own pid as
  // numbered in the initial pid namespace. Concurrent callers take turns.
  bool Read(std::vector<TaskNetns>* out, int32_t* reader_pid, std::string* error);

  struct Impl;

 private:
  explicit TaskNamespaces(std::unique_ptr<Impl> impl);
  std::mutex mu_;
  std::unique_ptr<Impl> impl_;
};

// Every process with its namespace, for a procfs whose "self" is `procfs_self_pid`
// (procfs::Site::self_pid). False, with the reason in *why, when the list cannot stand
// in for that procfs: no self (a fake tree), BPF not loaded, a failed read, or a procfs
// that numbers pids differently from the initial namespace.
bool ReadTasks(int32_t procfs_self_pid, std::vector<TaskNetns>* out, std::string* why);

}  // namespace netstat::netns
