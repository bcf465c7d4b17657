#include "collectors/process_sockets/socket_owners.h"

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <tuple>

#include "readers/owners/owner_walk.h"
#include "readers/procfs/root.h"
#include "readers/proctable/proc_dirs.h"
#include "readers/proctable/proc_parsers.h"

namespace netstat::process_sockets {

SocketOwners::SocketOwners(std::string procfs, bool live, bool want_user, bool want_pid,
                           int32_t bpf_self_pid)
    : procfs_(std::move(procfs)),
      want_user_(want_user),
      want_pid_(want_pid),
      bpf_self_pid_(bpf_self_pid),
      processes_(procfs_, false, false),
      users_(procfs_, live) {
  // Loaded now, while the daemon still has CAP_BPF: a walk after the drop reuses it.
  std::string error;
  if (bpf_self_pid_ != 0 && !owners::ForcedProcWalk()) owners::OwnerWalk::Shared(&error);
}

void SocketOwners::Walk(bool tcp_kinds) {
  stats_ = WalkStats{};
  owned_tcp_.clear();
  inodes_.Reset(last_sockets_);
  owners_.clear();
  groups_.clear();
  group_index_.clear();
  processes_.BeginScrape();
  used_bpf_ = WalkBpf(tcp_kinds);
  knows_tcp_ = used_bpf_ && tcp_kinds;
  // Filled only by a BPF walk with kinds; its index is scratch for that walk.
  std::sort(owned_tcp_.begin(), owned_tcp_.end(), [](const OwnedTcp& a, const OwnedTcp& b) {
    return std::tie(a.netns, a.owner) < std::tie(b.netns, b.owner);
  });
  owned_tcp_index_.clear();
  if (!used_bpf_) {
    for (int32_t pid : proctable::ListPids(procfs_)) WalkPid(pid);
  }
  last_sockets_ = inodes_.size();
}

bool SocketOwners::WalkBpf(bool kinds) {
  std::string why;
  walk_.reset();
  std::shared_ptr<const owners::SharedHostWalk> shared;
  if (bpf_self_pid_ != 0) shared = owners::ReadHostWalk(bpf_self_pid_, &why, kinds);
  if (!shared) {
    // Once per distinct reason (the reasons carry no counts), not once per scrape.
    if (bpf_self_pid_ != 0 && why != bpf_failure_) {
      spdlog::info("process_sockets: owners from /proc/*/fd, not the BPF walk: {}", why);
    }
    bpf_failure_ = why;
    return false;
  }
  if (!bpf_failure_.empty()) spdlog::info("process_sockets: owners from the BPF walk again");
  bpf_failure_.clear();
  static const long ticks = ::sysconf(_SC_CLK_TCK);
  const owners::HostWalk& w = shared->walk;
  stats_.fds = w.files;
  for (const owners::ProcessSeen& p : w.processes) {
    // The name now, checked against what the kernel had when the fds were listed.
    const proctable::ProcessInfo* info = processes_.Get(p.pid);
    if (info == nullptr) continue;  // gone, as in WalkPid
    const uint64_t starttime = owners::StartTicks(p.start_boottime_ns, ticks);
    if (info->starttime != starttime) continue;  // the pid is another process's now
    const std::string* name = &info->name;
    if (info->comm != p.comm) {
      // Renamed since the listing: the recorded comm, unless it was cut and so cannot
      // be completed any more (ProcessTable counts such a process as gone too).
      if (p.comm.size() >= 15) continue;
      name = &p.comm;
    }
    ++stats_.pids;
    const auto owner = static_cast<uint32_t>(owners_.size());
    bool added = false;
    for (size_t i = p.first; i < p.last; ++i) {
      if (!inodes_.Insert(w.fds[i].inode, owner)) continue;  // a lower pid's
      added = true;
      if (kinds) CountTcp(w.fds[i].kind, owner);
    }
    stats_.sockets += p.last - p.first;
    if (added) AddOwner(p.pid, starttime, *name);
  }
  walk_ = std::move(shared);
  return true;
}

void SocketOwners::CountTcp(const owners::SocketKind& kind, uint32_t owner) {
  constexpr uint8_t kListen = 10, kClose = 7;
  if (kind.protocol != IPPROTO_TCP) return;
  if (kind.family != AF_INET && kind.family != AF_INET6) return;
  if (kind.state == kListen || kind.state == kClose || kind.state >= OwnedTcp::kStates) return;
  const uint64_t key = static_cast<uint64_t>(kind.netns) << 32 | owner;
  auto [it, fresh] = owned_tcp_index_.try_emplace(key, owned_tcp_.size());
  if (fresh) owned_tcp_.push_back(OwnedTcp{kind.netns, owner, {}});
  const size_t family = kind.family == AF_INET6 ? 1 : 0;
  ++owned_tcp_[it->second].sockets[family * OwnedTcp::kStates + kind.state];
}

std::pair<const OwnedTcp*, const OwnedTcp*> SocketOwners::OwnedTcpIn(uint32_t netns) const {
  auto [from, to] =
      std::equal_range(owned_tcp_.begin(), owned_tcp_.end(), OwnedTcp{netns, 0, {}},
                       [](const OwnedTcp& a, const OwnedTcp& b) { return a.netns < b.netns; });
  return {owned_tcp_.data() + (from - owned_tcp_.begin()),
          owned_tcp_.data() + (to - owned_tcp_.begin())};
}

void SocketOwners::AddOwner(int32_t pid, uint64_t starttime, const std::string& name) {
  const uint32_t group = GroupFor(pid, name);
  owners_.push_back(Owner{pid, starttime, group});
}

void SocketOwners::WalkPid(int32_t pid) {
  // The name first (see the header); a process that is gone or whose stat cannot be
  // read holds nothing we can label.
  const proctable::ProcessInfo* info = processes_.Get(pid);
  if (info == nullptr) return;
  const std::string path = procfs_ + "/" + std::to_string(pid) + "/fd";
  int dfd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    if (errno == EACCES || errno == EPERM) ++stats_.denied;
    return;  // ENOENT/ESRCH: exited since the listing
  }
  DIR* dir = ::fdopendir(dfd);
  if (dir == nullptr) {
    ::close(dfd);
    return;
  }
  ++stats_.pids;
  pid_sockets_.clear();
  bool complete = true;
  for (;;) {
    errno = 0;
    const dirent* e = ::readdir(dir);
    if (e == nullptr) {
      complete = errno == 0;
      break;
    }
    if (e->d_name[0] == '.') continue;
    ++stats_.fds;
    if (uint64_t inode = proctable::SocketInodeAt(dfd, e->d_name)) pid_sockets_.push_back(inode);
  }
  ::closedir(dir);
  // A listing cut short (the process exited under it) is dropped whole: its sockets
  // are closing anyway, and a half-listed process must not be half counted.
  if (!complete || pid_sockets_.empty()) return;
  const auto owner = static_cast<uint32_t>(owners_.size());
  bool added = false;
  for (uint64_t inode : pid_sockets_) added |= inodes_.Insert(inode, owner);
  stats_.sockets += pid_sockets_.size();
  if (!added) return;  // every socket belongs to a lower pid
  AddOwner(pid, info->starttime, info->name);
}

uint32_t SocketOwners::GroupFor(int32_t pid, const std::string& name) {
  GroupKey key{name, "", want_pid_ ? pid : 0};
  if (want_user_) {
    std::string status;
    std::optional<uint32_t> uid;
    if (procfs::ReadTextFile(procfs_ + "/" + std::to_string(pid) + "/status", &status) == 0) {
      uid = proctable::ParseStatusEffectiveUid(status);
    }
    // Exited since its fds were read: the sockets are closing; no user is as good as any.
    if (uid) key.user = users_.Name(*uid);
  }
  std::string encoded = key.process;
  encoded.append(1, '\0').append(key.user).append(1, '\0').append(std::to_string(key.pid));
  auto [it, fresh] = group_index_.try_emplace(std::move(encoded), groups_.size());
  if (fresh) groups_.push_back(std::move(key));
  return it->second;
}

bool SocketOwners::StillAlive(uint32_t owner) {
  Owner& o = owners_[owner];
  if (o.alive < 0) {
    std::optional<proctable::StatFields> stat;
    if (procfs::ReadTextFile(procfs_ + "/" + std::to_string(o.pid) + "/stat", &buffer_, false,
                             procfs::kMaxAttributeBytes) == 0) {
      stat = proctable::ParseStat(buffer_);
    }
    o.alive = stat && stat->starttime == o.starttime &&
              (stat->flags & proctable::kPfExiting) == 0 && stat->state != 'Z' &&
              stat->state != 'X';
  }
  return o.alive == 1;
}

}  // namespace netstat::process_sockets
