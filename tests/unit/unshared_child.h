// A child process that unshares its network namespace and waits; killed and reaped on
// destruction. For the kernel tests of namespace discovery.
#pragma once

#include <sched.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace netstat::testing {

class UnsharedChild {
 public:
  UnsharedChild() {
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      // Only async-signal-safe calls between fork and _exit.
      char ok = ::unshare(CLONE_NEWNET) == 0 ? '1' : '0';
      (void)!::write(fds[1], &ok, 1);
      for (;;) ::pause();
    }
    ::close(fds[1]);
    char ok = 0;
    ready_ = pid_ > 0 && ::read(fds[0], &ok, 1) == 1 && ok == '1';
    ::close(fds[0]);
  }
  ~UnsharedChild() { Kill(); }
  UnsharedChild(const UnsharedChild&) = delete;
  UnsharedChild& operator=(const UnsharedChild&) = delete;
  bool ready() const { return ready_; }
  pid_t pid() const { return pid_; }
  // Its /proc/PID/ns/net.
  std::string ns() const { return "/proc/" + std::to_string(pid_) + "/ns/net"; }
  // Ends it now (and reaps it).
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  bool ready_ = false;
};

}  // namespace netstat::testing
