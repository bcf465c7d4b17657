// Three steps: the own namespace from <procfs>/self/ns/net; one readlinkat of PID/ns/net
// per process under a directory fd of the procfs root (given the BPF task list, only per
// process new or changed since the last call), keeping the lowest pid of each foreign
// namespace; then the entries of each bind-mount dir, which give names (and a path that
// opens the namespace even when no process is in it).
#include "readers/netns/discovery.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <unordered_map>

namespace netstat::netns {
namespace {

// "net:[18446744073709551615]" is 26 bytes; a longer link text is not a namespace.
constexpr size_t kLinkBytes = 32;

uint64_t NamespaceLinkAt(int dir_fd, const char* relative) {
  char buf[kLinkBytes];
  const ssize_t n = ::readlinkat(dir_fd, relative, buf, sizeof buf);
  if (n <= 0 || static_cast<size_t>(n) == sizeof buf) return 0;
  return ParseNamespaceLink(std::string_view(buf, static_cast<size_t>(n)));
}

uint64_t OwnInode(const procfs::Root& root) {
  if (uint64_t inode = NamespaceLinkAt(AT_FDCWD, root.Proc("self/ns/net").c_str())) {
    return inode;
  }
  // A fake tree without self/: the exporter's own namespace is still the live one.
  struct stat st {};
  return ::stat("/proc/self/ns/net", &st) == 0 ? st.st_ino : 0;
}

// "123" -> 123; false for anything that is not a pid directory's name.
bool ParsePid(const char* name, int32_t* pid) {
  if (name[0] < '1' || name[0] > '9') return false;
  const char* end = name + std::strlen(name);
  auto [ptr, ec] = std::from_chars(name, end, *pid);
  return ec == std::errc() && ptr == end;
}

std::string DirError(const char* what, const std::string& path, int err) {
  return std::string(what) + " " + path + ": " + procfs::ErrorText(err);
}

// inode -> lowest pid in it, for every namespace but the own one.
void WalkPids(const procfs::Root& root, uint64_t own, std::unordered_map<uint64_t, int32_t>* pids,
              std::vector<std::string>* errors) {
  const int dir_fd = ::open(root.procfs().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* dir = dir_fd < 0 ? nullptr : ::fdopendir(dir_fd);
  if (dir == nullptr) {
    errors->push_back(DirError("procfs", root.procfs(), errno));
    if (dir_fd >= 0) ::close(dir_fd);
    return;
  }
  // "PID/ns/net" built in place: a pid has at most 10 digits.
  char relative[sizeof(dirent::d_name) + 8];
  while (const dirent* e = ::readdir(dir)) {
    int32_t pid = 0;
    if (!ParsePid(e->d_name, &pid)) continue;
    const size_t len = std::strlen(e->d_name);
    std::memcpy(relative, e->d_name, len);
    std::memcpy(relative + len, "/ns/net", 8);
    // 0: the process exited since readdir, or denies access (not root, no ptrace right).
    const uint64_t inode = NamespaceLinkAt(dir_fd, relative);
    if (inode == 0 || inode == own) continue;
    auto [it, inserted] = pids->try_emplace(inode, pid);
    if (!inserted && pid < it->second) it->second = pid;
  }
  ::closedir(dir);
}

// The same from the BPF task iterator's list: a readlink only for a process new or
// changed since the last discovery, and none for one in the own namespace.
void WalkTasks(const procfs::Root& root, uint64_t own, TaskMemo* memo,
               std::unordered_map<uint64_t, int32_t>* pids) {
  memo->readlinks = 0;
  for (const TaskNetns& t : memo->tasks) {
    if (t.namespace_ == 0 || t.namespace_ == own) continue;
    uint64_t inode = 0;
    if (const uint64_t* known = memo->Find(t)) {
      inode = *known;
    } else {
      // 0: the process exited since the iterator saw it, or denies access.
      inode = NamespaceLinkAt(AT_FDCWD, root.Proc(std::to_string(t.pid) + "/ns/net").c_str());
      ++memo->readlinks;
    }
    memo->Keep(t, inode);
    if (inode == 0 || inode == own) continue;
    auto [it, inserted] = pids->try_emplace(inode, t.pid);
    if (!inserted && t.pid < it->second) it->second = t.pid;
  }
  memo->Swap();
}

// The network namespace that the nsfs file `name` holds, or 0. The ioctl
// keeps us from taking a bind mount of another namespace type for a network one.
uint64_t OpenedNamespaceInode(int dir_fd, const char* name) {
  const int fd = ::openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return 0;
  uint64_t inode = 0;
  struct statfs fs {};
  struct stat st {};
  if (::fstatfs(fd, &fs) == 0 && fs.f_type == NSFS_MAGIC && ::fstat(fd, &st) == 0) {
    // ENOTTY: a kernel before 4.11 cannot tell the type; nsfs alone has to do.
    const int type = ::ioctl(fd, NS_GET_NSTYPE);
    if (type == CLONE_NEWNET || (type < 0 && errno == ENOTTY)) inode = st.st_ino;
  }
  ::close(fd);
  return inode;
}

// The namespace a bind-mount entry holds, or 0. A symlink counts by its text (how fake
// trees express it) or else by what it points to; a real entry is an nsfs file (a regular inode of
// the nsfs superblock), and the stat before any open keeps us from opening a device or FIFO.
uint64_t BindMountInode(int dir_fd, const char* name, BindMountMemo* memo, dev_t* dev, ino_t* ino) {
  struct stat st {};
  if (::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return 0;
  *dev = st.st_dev;
  *ino = st.st_ino;
  if (S_ISLNK(st.st_mode)) {
    // A symlink's text or target may change without the dir's mtime: not kept.
    *ino = 0;
    if (uint64_t inode = NamespaceLinkAt(dir_fd, name)) return inode;
    if (::fstatat(dir_fd, name, &st, 0) != 0) return 0;  // a link to an nsfs file, say
  }
  if (!S_ISREG(st.st_mode)) return 0;
  if (memo != nullptr) {
    if (const uint64_t* known = memo->Find(st.st_dev, st.st_ino)) {
      memo->Keep(st.st_dev, st.st_ino, *known);
      return *known;
    }
  }
  const uint64_t inode = OpenedNamespaceInode(dir_fd, name);
  if (memo != nullptr) memo->Keep(st.st_dev, st.st_ino, inode);
  return inode;
}

struct Named {
  std::string name;
  std::string path;
};

void Name(const std::string& dir_path, std::string_view name, uint64_t inode,
          std::unordered_map<uint64_t, Named>* named) {
  auto [it, inserted] = named->try_emplace(inode);
  if (inserted || name < it->second.name) {
    it->second.name = name;
    it->second.path = dir_path;
    if (it->second.path.empty() || it->second.path.back() != '/') it->second.path += '/';
    it->second.path += name;
  }
}

// Whether `st` changed within the last second (as the coarse clock that stamps it goes).
bool Recent(const struct stat& st) {
  struct timespec now {};
  ::clock_gettime(CLOCK_REALTIME_COARSE, &now);
  const auto newest = std::max(st.st_mtim.tv_sec, st.st_ctim.tv_sec);
  return now.tv_sec - newest < 2;
}

void WalkBindMounts(const std::string& dir_path, uint64_t own, BindMountMemo* memo,
                    bool mounts_changed, std::unordered_map<uint64_t, Named>* named,
                    std::vector<std::string>* errors) {
  struct stat dir_st {};
  const bool stat_ok = memo != nullptr && ::stat(dir_path.c_str(), &dir_st) == 0;
  if (stat_ok && !mounts_changed) {
    if (const std::vector<BindMountMemo::Entry>* kept = memo->FindDir(dir_path, dir_st)) {
      for (const BindMountMemo::Entry& e : *kept) {
        memo->Keep(e.dev, e.ino, e.inode);
        if (e.inode != 0 && e.inode != own) Name(dir_path, e.name, e.inode, named);
      }
      memo->KeepDir(dir_path, dir_st, *kept);
      return;
    }
  }
  if (memo != nullptr) ++memo->dirs_read;
  std::vector<BindMountMemo::Entry> entries;
  const int dir_fd = ::open(dir_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* dir = dir_fd < 0 ? nullptr : ::fdopendir(dir_fd);
  if (dir == nullptr) {
    // No /run/docker/netns on a host without Docker: normal.
    if (errno != ENOENT) errors->push_back(DirError("bind-mount dir", dir_path, errno));
    if (dir_fd >= 0) ::close(dir_fd);
    return;
  }
  bool whole = true;  // every entry's (dev, ino) known: the dir may be kept
  while (const dirent* e = ::readdir(dir)) {
    const std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    BindMountMemo::Entry entry{std::string(name)};
    const uint64_t inode = BindMountInode(dir_fd, e->d_name, memo, &entry.dev, &entry.ino);
    entry.inode = inode;
    whole = whole && entry.ino != 0;
    if (memo != nullptr) entries.push_back(std::move(entry));
    if (inode == 0 || inode == own) continue;
    Name(dir_path, name, inode, named);
  }
  ::closedir(dir);
  if (stat_ok && whole && !Recent(dir_st)) memo->KeepDir(dir_path, dir_st, std::move(entries));
}

}  // namespace

const uint64_t* BindMountMemo::Find(dev_t dev, ino_t ino) const {
  auto it = last_.find({dev, ino});
  return it == last_.end() ? nullptr : &it->second;
}

void BindMountMemo::Swap() {
  last_.swap(next_);
  next_.clear();
  dirs_.swap(next_dirs_);
  next_dirs_.clear();
}

BindMountMemo::~BindMountMemo() {
  if (mounts_fd_ >= 0) ::close(mounts_fd_);
}

bool BindMountMemo::MountsChanged() {
  if (mounts_fd_ < 0) {
    // Opening it is the starting point: changes are those after this.
    mounts_fd_ = ::open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
    return true;
  }
  struct pollfd p {
    mounts_fd_, POLLPRI, 0
  };
  // POLLERR|POLLPRI: the mount table changed since the last poll (each poll clears it).
  return ::poll(&p, 1, 0) != 0;
}

const std::vector<BindMountMemo::Entry>* BindMountMemo::FindDir(const std::string& path,
                                                                const struct stat& st) const {
  auto it = dirs_.find(path);
  if (it == dirs_.end()) return nullptr;
  const struct stat& was = it->second.st;
  const bool same =
      was.st_dev == st.st_dev && was.st_ino == st.st_ino &&
      was.st_mtim.tv_sec == st.st_mtim.tv_sec && was.st_mtim.tv_nsec == st.st_mtim.tv_nsec &&
      was.st_ctim.tv_sec == st.st_ctim.tv_sec && was.st_ctim.tv_nsec == st.st_ctim.tv_nsec;
  return same ? &it->second.entries : nullptr;
}

void BindMountMemo::KeepDir(const std::string& path, const struct stat& st,
                            std::vector<Entry> entries) {
  next_dirs_[path] = Dir{st, std::move(entries)};
}

const uint64_t* TaskMemo::Find(const TaskNetns& t) const {
  auto it = last_.find(t.pid);
  return it == last_.end() || !(it->second.first == t) ? nullptr : &it->second.second;
}

void TaskMemo::Swap() {
  last_.swap(next_);
  next_.clear();
}

uint64_t ParseNamespaceLink(std::string_view text) {
  constexpr std::string_view kPrefix = "net:[";
  if (text.size() <= kPrefix.size() + 1 || !text.starts_with(kPrefix) || text.back() != ']') {
    return 0;
  }
  const std::string_view digits = text.substr(kPrefix.size(), text.size() - kPrefix.size() - 1);
  if (digits.front() < '0' || digits.front() > '9') return 0;
  uint64_t inode = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), inode);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return 0;
  return inode;
}

std::string Label(const NamespaceRef& ns) {
  if (!ns.name.empty()) return ns.name;
  return "net:[" + std::to_string(ns.inode) + "]";
}

Discovery Discover(const procfs::Root& root, const std::vector<std::string>& bind_mount_dirs,
                   BindMountMemo* memo, TaskMemo* tasks) {
  Discovery out;
  out.own_inode = OwnInode(root);
  std::unordered_map<uint64_t, int32_t> pids;
  if (tasks != nullptr) {
    WalkTasks(root, out.own_inode, tasks, &pids);
  } else {
    WalkPids(root, out.own_inode, &pids, &out.errors);
  }
  std::unordered_map<uint64_t, Named> named;
  if (memo != nullptr) memo->dirs_read = 0;
  const bool mounts_changed = memo == nullptr || memo->MountsChanged();
  for (const std::string& dir : bind_mount_dirs) {
    WalkBindMounts(dir, out.own_inode, memo, mounts_changed, &named, &out.errors);
  }
  if (memo != nullptr) memo->Swap();
  out.foreign.reserve(pids.size() + named.size());
  for (auto& [inode, n] : named) {
    NamespaceRef& ref = out.foreign.emplace_back();
    ref.inode = inode;
    ref.name = std::move(n.name);
    ref.path = std::move(n.path);
    if (auto it = pids.find(inode); it != pids.end()) ref.pid = it->second;
  }
  for (const auto& [inode, pid] : pids) {
    if (named.count(inode) != 0) continue;
    NamespaceRef& ref = out.foreign.emplace_back();
    ref.inode = inode;
    ref.pid = pid;
    ref.path = root.Proc(std::to_string(pid) + "/ns/net");
  }
  std::sort(out.foreign.begin(), out.foreign.end(),
            [](const NamespaceRef& a, const NamespaceRef& b) { return a.inode < b.inode; });
  return out;
}

}  // namespace netstat::netns
