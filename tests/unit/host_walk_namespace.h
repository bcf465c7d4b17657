// A network namespace made by `ip netns add` for a kernel test of the host walk, deleted
// with the object (even when an assertion fails).
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace netstat::testing {

inline std::string ReadLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// `ip netns add` for the life of the object (deleted even when an assertion fails); with
// own_hash, made while net.ipv4.tcp_child_ehash_entries is 1024, restored at once.
class TestNamespace {
 public:
  TestNamespace(int i, bool own_hash)
      : name_("netstat_hw_" + std::to_string(::getpid()) + "_" + std::to_string(i)) {
    const std::string sysctl = "/proc/sys/net/ipv4/tcp_child_ehash_entries";
    const std::string old = own_hash ? ReadLine(sysctl) : "";
    if (own_hash && !old.empty()) std::ofstream(sysctl) << "1024\n";
    ok_ = std::system(("ip netns add " + name_).c_str()) == 0;
    if (own_hash && !old.empty()) std::ofstream(sysctl) << old << "\n";
    ok_ = ok_ && std::system(("ip -n " + name_ + " link set lo up").c_str()) == 0;
    struct stat s {};
    if (ok_ && ::stat(path().c_str(), &s) == 0) inode_ = s.st_ino;
  }
  ~TestNamespace() {
    for (int fd : fds) ::close(fd);
    std::system(("ip netns delete " + name_ + " 2>/dev/null").c_str());
  }
  TestNamespace(const TestNamespace&) = delete;
  TestNamespace& operator=(const TestNamespace&) = delete;
  bool ok() const { return ok_ && inode_ != 0; }
  std::string path() const { return "/run/netns/" + name_; }
  uint64_t inode() const { return inode_; }

  std::vector<int> fds;      // its sockets, closed before it is deleted
  uint16_t remote_port = 0;  // the v4 listener's port: counted as a remote port

 private:
  std::string name_;
  bool ok_ = false;
  uint64_t inode_ = 0;
};

}  // namespace netstat::testing
