// TEMPORARY (lead's stand-in until the netns library lands).
#include "collectors/netns/netns.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <thread>

namespace netstat::netns {
namespace {

uint64_t LinkInode(const std::string& path) {
  char buf[64] = {};
  ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  if (n <= 0 || std::strncmp(buf, "net:[", 5) != 0) return 0;
  return std::strtoull(buf + 5, nullptr, 10);
}

}  // namespace

Discovery Discover(const procfs::Root& root, const std::vector<std::string>& dirs) {
  Discovery d;
  d.own_inode = LinkInode(root.Proc("self/ns/net"));
  if (d.own_inode == 0) {
    struct stat st {};
    if (stat("/proc/self/ns/net", &st) == 0) d.own_inode = st.st_ino;
  }
  std::map<uint64_t, NamespaceRef> found;
  if (DIR* dir = opendir(root.procfs().c_str())) {
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
      const int32_t pid = std::atoi(e->d_name);
      const std::string path = root.Proc(std::string(e->d_name) + "/ns/net");
      const uint64_t inode = LinkInode(path);
      if (inode == 0 || inode == d.own_inode) continue;
      NamespaceRef& ref = found[inode];
      if (ref.pid == 0 || pid < ref.pid) {
        ref.pid = pid;
        ref.inode = inode;
        if (ref.name.empty()) ref.path = path;
      }
    }
    closedir(dir);
  }
  for (const auto& base : dirs) {
    DIR* dir = opendir(base.c_str());
    if (dir == nullptr) continue;
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] == '.') continue;
      const std::string path = base + "/" + e->d_name;
      uint64_t inode = LinkInode(path);
      struct stat st {};
      if (inode == 0 && stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_dev != 0) {
        inode = st.st_ino;
      }
      if (inode == 0 || inode == d.own_inode) continue;
      NamespaceRef& ref = found[inode];
      ref.inode = inode;
      if (ref.name.empty() || e->d_name < ref.name) {
        ref.name = e->d_name;
        ref.path = path;
      }
    }
    closedir(dir);
  }
  for (auto& [inode, ref] : found) d.foreign.push_back(ref);
  return d;
}

std::string Label(const NamespaceRef& ns) {
  return ns.name.empty() ? "net:[" + std::to_string(ns.inode) + "]" : ns.name;
}

ContainerIdentity ParseCgroup(std::string_view) { return {}; }
ContainerIdentity ReadContainerIdentity(const procfs::Root&, int32_t) { return {}; }

int OpenNetlinkSocketIn(const std::string& ns_path, int protocol, std::string* error,
                        int* error_number) {
  const int ns = open(ns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns < 0) {
    *error_number = errno;
    *error = ns_path + ": " + std::strerror(errno);
    return -1;
  }
  int fd = -1, err = 0;
  std::thread([&] {
    if (setns(ns, CLONE_NEWNET) != 0) {
      err = errno;
      return;
    }
    fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
    if (fd < 0) err = errno;
  }).join();
  close(ns);
  if (fd < 0) {
    *error_number = err;
    *error = "setns " + ns_path + ": " + std::strerror(err);
  }
  return fd;
}

}  // namespace netstat::netns
