// Every network namespace on the host, found once per scrape: the ns/net links of
// /proc/[0-9]*/ns/net and the bind mounts that `ip netns add` (/run/netns) and Docker
// (/run/docker/netns) leave behind.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "readers/netns/task_netns.h"
#include "readers/procfs/root.h"

namespace netstat::netns {

struct NamespaceRef {
  uint64_t inode = 0;  // the namespace's inode number (as in "net:[4026532281]")
  std::string name;    // file name of its bind mount in a bind-mount dir; "" when none
  int32_t pid = 0;     // lowest pid (as numbered in the procfs root) in it; 0 when none
  std::string path;    // opens it: the bind mount when there is one, else <procfs>/PID/ns/net
};

struct Discovery {
  uint64_t own_inode = 0;             // the exporter's own network namespace
  std::vector<NamespaceRef> foreign;  // every other namespace, one per inode, sorted by inode
  std::vector<std::string> errors;    // a procfs or bind-mount dir that exists but cannot be read
};

// What each bind-mount entry held at the last discovery, by the (device, inode) that a
// stat of it gives: an entry that still stats the same costs that one fstatat, not an
// open, two more stats and an ioctl (seven syscalls an entry, every scrape, on a node
// with a hundred pods). Only what the last discovery saw is kept.
//
// A whole dir is not read again while nothing in it can have changed: the dir stats as
// at the last discovery (its entries, added, removed or renamed, change its mtime) and
// no mount came or went in our mount namespace since (an `ip netns add` mounts over the
// file it made; /proc/self/mountinfo, polled, says so). A dir changed within the last
// second is read again next time too, for mtime's granularity is a clock tick.
class BindMountMemo {
 public:
  BindMountMemo() = default;
  ~BindMountMemo();
  BindMountMemo(const BindMountMemo&) = delete;
  BindMountMemo& operator=(const BindMountMemo&) = delete;

  // The namespace inode `key` held (0: not a network namespace), or nullptr.
  const uint64_t* Find(dev_t dev, ino_t ino) const;
  void Keep(dev_t dev, ino_t ino, uint64_t inode) { next_[{dev, ino}] = inode; }
  // Ends a discovery: what it kept becomes what the next one finds.
  void Swap();

  // One entry of a dir: its name, the (dev, ino) its stat gave and the namespace it held.
  struct Entry {
    std::string name;
    dev_t dev = 0;
    ino_t ino = 0;
    uint64_t inode = 0;
  };
  // Whether a mount came or went since the last call (true on the first, and whenever
  // the mount table cannot be watched).
  bool MountsChanged();
  // What dir `path`, now stat-ing as `st`, held at the last discovery, if it still may.
  const std::vector<Entry>* FindDir(const std::string& path, const struct stat& st) const;
  void KeepDir(const std::string& path, const struct stat& st, std::vector<Entry> entries);
  // Dirs read again in full by the last discovery (tests).
  size_t dirs_read = 0;

 private:
  struct Dir {
    struct stat st {};
    std::vector<Entry> entries;
  };
  std::map<std::pair<dev_t, ino_t>, uint64_t> last_, next_;
  std::map<std::string, Dir> dirs_, next_dirs_;
  int mounts_fd_ = -1;
};

// The processes of the host with their namespaces as the BPF task iterator saw them
// (task_netns.h), given to Discover in place of its readdir of the procfs root, and the
// verdict of each pid's readlink at the last discovery: a process whose (pid, start, euid,
// namespace) is unchanged is not asked again, and one the iterator sees in the own
// namespace is not asked at all (it could only be skipped). The readlink stays for a
// new or changed process, so what may be read is what the procfs allows, as before.
class TaskMemo {
 public:
  // This discovery's processes, ascending pid (set before each Discover).
  std::vector<TaskNetns> tasks;

  // The namespace inode the readlink gave for `t` at the last discovery (0: it failed),
  // or nullptr when `t` is new or changed since.
  const uint64_t* Find(const TaskNetns& t) const;
  void Keep(const TaskNetns& t, uint64_t inode) { next_[t.pid] = {t, inode}; }
  // Ends a discovery: what it kept becomes what the next one finds.
  void Swap();
  // Readlinks the last discovery made (for tests and the benchmark).
  size_t readlinks = 0;

 private:
  std::unordered_map<int32_t, std::pair<TaskNetns, uint64_t>> last_, next_;
};

// Own namespace: readlink(<procfs>/self/ns/net) when it parses, else the inode of the live
// /proc/self/ns/net. Processes that vanish or deny access during the walk are skipped
// silently; so is a missing bind-mount dir. A bind-mount entry counts when its readlink
// text is "net:[N]" (how fake trees express it) or when it is a real nsfs file holding a
// network namespace; anything else (a plain file left by a crashed `ip netns add`, a
// directory) is skipped. Several names for one namespace: the lexicographically smallest
// wins. A bind mount of the own namespace is not foreign. One readlinkat per pid, no
// allocation per pid. Never throws. With `memo`, bind-mount entries that stat as at the
// last call are not opened again. With `tasks`, the processes are its list (see TaskMemo).
Discovery Discover(const procfs::Root& root, const std::vector<std::string>& bind_mount_dirs,
                   BindMountMemo* memo = nullptr, TaskMemo* tasks = nullptr);

// The `netns` label value: the bind mount's name, else "net:[INODE]".
std::string Label(const NamespaceRef& ns);

// "net:[4026531840]" -> 4026531840; 0 for anything else (pure).
uint64_t ParseNamespaceLink(std::string_view readlink_text);

}  // namespace netstat::netns
