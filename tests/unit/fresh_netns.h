// For tests against the real kernel (root): move the calling thread into a new network
// namespace of its own, with its loopback up, so that the sockets it opens, and what the
// kernel reports about them, are the test's alone. Run it on a thread made for it: the
// rest of the process stays where it was.
#pragma once

#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace netstat::testing {

// False, with the failing step and errno, when the namespace cannot be made.
inline bool EnterFreshNetns(std::string* error) {
  if (unshare(CLONE_NEWNET) != 0) {
    *error = std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
    return false;
  }
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ifreq lo{};
  std::strcpy(lo.ifr_name, "lo");
  const bool up = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &lo) == 0 &&
                  (lo.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &lo) == 0);
  if (!up) *error = std::string("bringing lo up: ") + std::strerror(errno);
  if (fd >= 0) close(fd);
  return up;
}

}  // namespace netstat::testing
