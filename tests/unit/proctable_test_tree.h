// A throw-away procfs tree for owner-resolver and listeners tests: process directories
// with stat, comm, cmdline and fd/ symlinks to "socket:[INODE]", made at test time.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace netstat::testing {

class ProcTree {
 public:
  ProcTree() {
    char tmpl[] = "/tmp/netstat_proc_XXXXXX";
    root_ = ::mkdtemp(tmpl);
  }
  ~ProcTree() { std::filesystem::remove_all(root_); }
  ProcTree(const ProcTree&) = delete;
  ProcTree& operator=(const ProcTree&) = delete;

  const std::string& root() const { return root_; }

  void Write(const std::string& relative, const std::string& text) const {
    std::filesystem::path p = std::filesystem::path(root_) / relative;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
  }

  // A process with the given comm, start time and NUL-separated cmdline.
  void AddProcess(int pid, const std::string& comm, uint64_t starttime,
                  const std::string& cmdline = "") const {
    const std::string dir = std::to_string(pid) + "/";
    Write(dir + "stat", std::to_string(pid) + " (" + comm +
                            ") S 1 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 " +
                            std::to_string(starttime) + " 1000000 200 18446744073709551615\n");
    Write(dir + "comm", comm + "\n");
    Write(dir + "cmdline", cmdline);
    std::filesystem::create_directories(root_ + "/" + dir + "fd");
  }

  void AddFd(int pid, int fd, const std::string& target) const {
    const std::string link = root_ + "/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
    std::filesystem::remove(link);
    std::filesystem::create_symlink(target, link);
  }
  void AddSocket(int pid, int fd, uint64_t inode) const {
    AddFd(pid, fd, "socket:[" + std::to_string(inode) + "]");
  }
  void RemoveFd(int pid, int fd) const {
    std::filesystem::remove(root_ + "/" + std::to_string(pid) + "/fd/" + std::to_string(fd));
  }
  void RemoveProcess(int pid) const {
    std::filesystem::remove_all(root_ + "/" + std::to_string(pid));
  }

 private:
  std::string root_;
};

}  // namespace netstat::testing
