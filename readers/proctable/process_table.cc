#include "readers/proctable/process_table.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

#include "readers/procfs/root.h"
#include "readers/proctable/proc_parsers.h"

namespace netstat::proctable {
namespace {
constexpr size_t kCmdlinePrefix = 64 * 1024;

// A whole small proc file from offset 0 of an fd; false when it does not read (its
// process is gone) or fills the limit (no stat or comm file does).
bool PreadWhole(int fd, std::string* out) {
  out->resize(procfs::kMaxAttributeBytes);
  const ssize_t n = ::pread(fd, out->data(), out->size(), 0);
  if (n <= 0 || static_cast<size_t>(n) >= out->size()) return false;
  out->resize(static_cast<size_t>(n));
  return true;
}
}  // namespace

ProcessTable::ProcessTable(std::string procfs, bool want_cmdline, bool want_exe)
    : procfs_(std::move(procfs)), want_cmdline_(want_cmdline), want_exe_(want_exe) {}

ProcessTable::~ProcessTable() {
  for (auto& [pid, e] : entries_) Release(&e);
}

void ProcessTable::HoldFiles() {
  hold_files_ = true;
  max_held_ = kMaxHeldFiles;
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    max_held_ = std::min<size_t>(max_held_, rl.rlim_cur / 8);
  }
}

void ProcessTable::Release(Entry* e) {
  if (e->comm_fd < 0) return;
  ::close(e->comm_fd);
  e->comm_fd = -1;
  --held_;
}

void ProcessTable::BeginScrape() {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.generation != generation_ || !it->second.alive) {
      Release(&it->second);
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  ++generation_;
}

const ProcessInfo* ProcessTable::Get(int32_t pid) {
  Entry& e = entries_[pid];
  if (e.generation != generation_) {
    e.generation = generation_;
    Refresh(pid, &e);
  }
  return e.alive ? &e.info : nullptr;
}

void ProcessTable::Know(int32_t pid, uint64_t starttime, std::string_view comm) {
  auto it = entries_.find(pid);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  if (e.generation == generation_ || !e.alive) return;
  if (e.info.starttime != starttime || e.info.comm != comm) return;
  e.generation = generation_;
}

bool ProcessTable::Unchanged(Entry* e) {
  if (!e->alive || e->comm_fd < 0) return false;
  if (!PreadWhole(e->comm_fd, &buffer_)) {
    Release(e);  // its process is gone (ESRCH); the pid may be another's now
    return false;
  }
  if (!buffer_.empty() && buffer_.back() == '\n') buffer_.pop_back();
  return buffer_ == e->info.comm;
}

bool ProcessTable::ReadStat(const std::string& dir, Entry* e) {
  ++stat_reads_;
  if (!hold_files_ || e->comm_fd >= 0 || held_ >= max_held_) {
    return procfs::ReadTextFile(dir + "stat", &buffer_, false, procfs::kMaxAttributeBytes) == 0;
  }
  // stat and the comm file to hold opened from one directory fd: both of one process.
  const int pid_dir = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (pid_dir < 0) return false;  // gone
  const int stat_fd = ::openat(pid_dir, "stat", O_RDONLY | O_CLOEXEC);
  const bool read = stat_fd >= 0 && PreadWhole(stat_fd, &buffer_);
  if (stat_fd >= 0) ::close(stat_fd);
  if (read) {
    e->comm_fd = ::openat(pid_dir, "comm", O_RDONLY | O_CLOEXEC);
    if (e->comm_fd >= 0) {
      ++held_;
      ++files_opened_;
    }
  }
  ::close(pid_dir);
  return read;
}

void ProcessTable::Refresh(int32_t pid, Entry* e) {
  if (Unchanged(e)) return;
  const std::string dir = procfs_ + "/" + std::to_string(pid) + "/";
  std::optional<StatFields> stat;
  if (ReadStat(dir, e)) stat = ParseStat(buffer_);
  if (!stat) {
    e->alive = false;
    return;
  }
  if (e->alive && e->info.starttime == stat->starttime && e->info.comm == stat->comm) return;
  e->alive = true;
  e->info = ProcessInfo{};
  e->info.starttime = stat->starttime;
  e->info.comm = std::move(stat->comm);
  std::string raw_cmdline;
  if (want_cmdline_ || e->info.comm.size() == 15) {
    // argv[0] and the label's first 512 bytes are all that is used of it.
    procfs::ReadFile(dir + "cmdline", &raw_cmdline, kCmdlinePrefix, procfs::Oversize::kKeepPrefix);
  }
  // A cut comm with no cmdline: a kernel thread (which holds no fds) or a process
  // between exit_mm() and exit_files() in do_exit(), still holding its sockets. Its
  // name cannot be completed any more: it counts as gone, not as a 15-byte fragment.
  if (e->info.comm.size() == 15 && raw_cmdline.empty()) {
    e->alive = false;
    return;
  }
  e->info.name = ProcessName(e->info.comm, raw_cmdline);
  if (want_cmdline_) e->info.cmdline = FormatCmdline(raw_cmdline);
  if (want_exe_) {
    char buf[4096];
    ssize_t n = ::readlink((dir + "exe").c_str(), buf, sizeof buf);
    if (n > 0) e->info.exe.assign(buf, static_cast<size_t>(n));
  }
}

}  // namespace netstat::proctable
