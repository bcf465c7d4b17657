#include "readers/proctable/owner_resolver.h"

#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <unordered_set>

#include "readers/owners/owner_walk.h"
#include "readers/proctable/proc_dirs.h"

namespace netstat::proctable {

namespace {

// `*average` moved a quarter of the way to `sample` (the sample itself when none yet).
void Smooth(double* average, double sample) {
  *average = *average == 0 ? sample : *average + (sample - *average) / 4;
}

}  // namespace

OwnerResolver::OwnerResolver(std::string procfs, ProcessTable* processes,
                             Clock::duration ownerless_retry)
    : procfs_(std::move(procfs)), processes_(processes), ownerless_retry_(ownerless_retry) {}

void OwnerResolver::UseBpfWalk(int32_t procfs_self_pid) {
  bpf_self_pid_ = procfs_self_pid;
  std::string error;
  if (bpf_self_pid_ != 0 && !owners::ForcedProcWalk()) owners::OwnerWalk::Shared(&error);
}

bool OwnerResolver::WalkInsteadOfChecks(double checks_weight) {
  // The walk instead of the checks when the last of each says it is cheaper (both known).
  // Every kRecheckEvery-th such scrape checks all the same, so that the checks' cost is
  // known again as the host changes.
  return bpf_self_pid_ != 0 && bpf_failure_.empty() && walk_ns_ > 0 && check_ns_ > 0 &&
         static_cast<double>(cache_.size()) * check_ns_ * checks_weight > walk_ns_ &&
         ++walks_instead_ % kRecheckEvery != 0;
}

void OwnerResolver::CheckCached() {
  checked_.clear();
  const Clock::time_point start = Clock::now();
  const size_t opened_before = opened_ + processes_->files_opened();
  for (const auto& [inode, owner] : cache_) {
    if (Verify(inode, owner)) checked_.insert(inode);
  }
  // A pass that opened files to hold them is no sample of what checks cost.
  if (!cache_.empty() && opened_ + processes_->files_opened() == opened_before) {
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
    Smooth(&check_ns_, ns / static_cast<double>(cache_.size()));
  }
}

void OwnerResolver::Precheck() {
  // Checks made now run beside the reading of the sockets, the walk after it: the walk
  // must be much cheaper to be worth the wait.
  instead_of_checks_ = WalkInsteadOfChecks(1.0 / kPrecheckAdvantage);
  if (!instead_of_checks_) CheckCached();
  prechecked_ = true;
}

void OwnerResolver::Resolve(const std::vector<uint64_t>& inodes,
                            std::unordered_map<uint64_t, Owner>* owners,
                            Clock::time_point reuse_since) {
  stats_ = ResolveStats{};
  const Clock::time_point now = Clock::now();
  if (!prechecked_) {
    instead_of_checks_ = WalkInsteadOfChecks(1.0);
    if (!instead_of_checks_) CheckCached();
  }
  prechecked_ = false;
  stats_.instead_of_checks = instead_of_checks_;
  bool need_walk = stats_.instead_of_checks && !inodes.empty();
  std::vector<uint64_t> needed;
  for (uint64_t inode : inodes) {
    auto it = cache_.find(inode);
    if (stats_.instead_of_checks) {
      if (it == cache_.end()) needed.push_back(inode);
      continue;
    }
    if (it != cache_.end() && checked_.count(inode) != 0) {
      (*owners)[inode] = it->second;
      ++stats_.verified;
      continue;
    }
    auto gone = ownerless_.find(inode);
    if (it == cache_.end() && gone != ownerless_.end() && now < gone->second.retry_at) continue;
    need_walk = true;
    needed.push_back(inode);
  }
  checked_.clear();

  std::unordered_set<uint64_t> current(inodes.begin(), inodes.end());
  std::erase_if(cache_, [&](const auto& kv) { return !current.count(kv.first); });
  std::erase_if(ownerless_, [&](const auto& kv) { return !current.count(kv.first); });

  if (need_walk) {
    // Every current inode is looked up again, so a walk also refreshes cached owners
    // (a lower pid may hold the socket now).
    std::unordered_map<uint64_t, Owner> wanted;
    for (uint64_t inode : current) wanted[inode] = Owner{};
    Walk(&wanted, needed, reuse_since);
    for (auto& [inode, owner] : wanted) {
      const ProcessInfo* info = owner.pid > 0 ? processes_->Get(owner.pid) : nullptr;
      if (info == nullptr) {
        cache_.erase(inode);
        // An inode the walk did not find waits before it may cause another walk; one
        // whose holder exited mid-walk does not (its new holder is worth finding).
        if (owner.pid > 0) continue;
        auto [it, fresh] = ownerless_.try_emplace(inode, Ownerless{now, ownerless_retry_});
        if (!fresh) it->second.backoff = std::min(it->second.backoff * 2, ownerless_retry_ * 64);
        it->second.retry_at = now + it->second.backoff;
        continue;
      }
      owner.starttime = info->starttime;
      cache_[inode] = owner;
      ownerless_.erase(inode);
      (*owners)[inode] = owner;
    }
  }
  for (uint64_t inode : inodes) stats_.unresolved += owners->count(inode) ? 0 : 1;
  ReleaseDirectories();
}

OwnerResolver::~OwnerResolver() {
  for (auto& [pid, d] : directories_) ::close(d.fd);
}

int OwnerResolver::FdDirectory(const Owner& owner) {
  if (!processes_->holds_files()) return -1;
  auto it = directories_.find(owner.pid);
  if (it != directories_.end() && it->second.starttime != owner.starttime) {
    ::close(it->second.fd);
    directories_.erase(it);
    it = directories_.end();
  }
  if (it != directories_.end()) return it->second.fd;
  if (directories_.size() >= processes_->max_held()) return -1;
  const std::string path = procfs_ + "/" + std::to_string(owner.pid) + "/fd";
  const int fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  directories_[owner.pid] = {fd, owner.starttime};
  ++opened_;
  return fd;
}

void OwnerResolver::ReleaseDirectories() {
  std::unordered_set<int32_t> owning;
  for (const auto& [inode, owner] : cache_) owning.insert(owner.pid);
  std::erase_if(directories_, [&](const auto& kv) {
    if (owning.count(kv.first) != 0) return false;
    ::close(kv.second.fd);
    return true;
  });
}

bool OwnerResolver::Verify(uint64_t inode, const Owner& owner) {
  const ProcessInfo* info = processes_->Get(owner.pid);
  if (info == nullptr || info->starttime != owner.starttime) return false;
  const std::string fd = std::to_string(owner.fd);
  if (const int dir = FdDirectory(owner); dir >= 0) return SocketInodeAt(dir, fd.c_str()) == inode;
  const std::string path = procfs_ + "/" + std::to_string(owner.pid) + "/fd/" + fd;
  return SocketInodeAt(AT_FDCWD, path.c_str()) == inode;
}

void OwnerResolver::Walk(std::unordered_map<uint64_t, Owner>* wanted,
                         const std::vector<uint64_t>& needed, Clock::time_point reuse_since) {
  stats_.walked = true;
  if (WalkBpf(wanted, needed, reuse_since)) return;
  size_t remaining = wanted->size();
  for (int32_t pid : ListPids(procfs_)) {
    if (remaining == 0) break;
    WalkPid(pid, wanted, &remaining);
  }
}

namespace {

// Sets pid/fd of every entry of *wanted from a walk. Ascending (pid, fd): the first holder
// of an inode is its lowest pid, at its lowest fd.
void Fill(const owners::HostWalk& walk, std::unordered_map<uint64_t, Owner>* wanted) {
  for (auto& [inode, owner] : *wanted) owner = Owner{};
  for (const owners::SocketFd& s : walk.fds) {
    auto it = wanted->find(s.inode);
    if (it != wanted->end() && it->second.pid == 0) {
      it->second.pid = s.pid;
      it->second.fd = s.fd;
    }
  }
}

}  // namespace

bool OwnerResolver::WalkBpf(std::unordered_map<uint64_t, Owner>* wanted,
                            const std::vector<uint64_t>& needed, Clock::time_point reuse_since) {
  if (bpf_self_pid_ == 0) return false;
  std::shared_ptr<const owners::SharedHostWalk> shared = owners::LatestHostWalk(reuse_since);
  if (shared) {
    // Reused only when it knows every inode this walk is for: one opened since it was
    // read (a listener of the socket reading that followed it) needs a new one.
    Fill(shared->walk, wanted);
    for (uint64_t inode : needed) {
      if (wanted->at(inode).pid == 0) {
        shared.reset();
        break;
      }
    }
  }
  stats_.reused = shared != nullptr;
  if (!shared) {
    std::string why;
    const Clock::time_point start = Clock::now();
    shared = owners::ReadHostWalk(bpf_self_pid_, &why);
    if (shared) {
      Smooth(&walk_ns_, std::chrono::duration<double, std::nano>(Clock::now() - start).count());
    }
    if (!shared) {
      if (why != bpf_failure_) {
        spdlog::info("owners: listeners' owners from /proc/*/fd, not the BPF walk: {}", why);
      }
      bpf_failure_ = why;
      for (auto& [inode, owner] : *wanted) owner = Owner{};  // what a reuse attempt set
      return false;
    }
    Fill(shared->walk, wanted);
  }
  if (!bpf_failure_.empty()) spdlog::info("owners: listeners' owners from the BPF walk again");
  bpf_failure_.clear();
  stats_.bpf = true;
  // The walk saw each holder's start time and comm: a cached process that still has
  // them needs no stat read.
  static const long ticks = ::sysconf(_SC_CLK_TCK);
  for (const owners::ProcessSeen& p : shared->walk.processes) {
    processes_->Know(p.pid, owners::StartTicks(p.start_boottime_ns, ticks), p.comm);
  }
  stats_.pids = shared->walk.processes.size();
  stats_.fds = shared->walk.files;
  return true;
}

void OwnerResolver::WalkPid(int32_t pid, std::unordered_map<uint64_t, Owner>* wanted,
                            size_t* remaining) {
  const std::string path = procfs_ + "/" + std::to_string(pid) + "/fd";
  int dfd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    // ENOENT/ESRCH: the process exited since the listing; normal.
    if (errno == EACCES || errno == EPERM) ++stats_.denied;
    return;
  }
  DIR* dir = ::fdopendir(dfd);
  if (dir == nullptr) {
    ::close(dfd);
    return;
  }
  ++stats_.pids;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    ++stats_.fds;
    const uint64_t inode = SocketInodeAt(dfd, e->d_name);
    if (inode == 0) continue;
    auto it = wanted->find(inode);
    if (it == wanted->end()) continue;
    int32_t fd = 0;
    if (!ParseDecimal(e->d_name, &fd)) continue;
    Owner& o = it->second;
    if (o.pid == 0) {
      o.pid = pid;
      o.fd = fd;
      --*remaining;
    } else if (o.pid == pid && fd < o.fd) {
      o.fd = fd;
    }
  }
  ::closedir(dir);
}

}  // namespace netstat::proctable
