// For tests against the real kernel (root): a network namespace of the test's own, and
// loopback listeners and connections in it, so that the sockets the test opens, and what
// the kernel reports about them, are the test's alone.
#pragma once

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

namespace netstat::testing {

// Moves the calling thread into a new network namespace with its loopback up; run it on
// a thread made for it, the rest of the process stays where it was. False, with the
// failing step and errno, when the namespace cannot be made.
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

// A TCP listener on 127.0.0.1 or ::1, on a port the kernel picks; fd -1 when it failed.
struct LoopbackListener {
  int family = AF_INET;
  int fd = -1;
  uint16_t port = 0;
  sockaddr_storage address{};
  socklen_t length = 0;
};

inline LoopbackListener ListenOnLoopback(int family, int backlog = 64) {
  LoopbackListener l;
  l.family = family;
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&l.address);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l.length = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&l.address);
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    l.length = sizeof *a;
  }
  l.fd = socket(family, SOCK_STREAM, 0);
  auto* address = reinterpret_cast<sockaddr*>(&l.address);
  if (l.fd < 0 || bind(l.fd, address, l.length) != 0 || listen(l.fd, backlog) != 0 ||
      getsockname(l.fd, address, &l.length) != 0) {
    if (l.fd >= 0) close(l.fd);
    l.fd = -1;
    return l;
  }
  l.port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(address)->sin_port
                                   : reinterpret_cast<sockaddr_in6*>(address)->sin6_port);
  return l;
}

// A connection to the listener: [0] the client, [1] the accepted end (-1 when failed).
inline std::array<int, 2> ConnectAndAccept(const LoopbackListener& l) {
  const int client = socket(l.family, SOCK_STREAM, 0);
  if (client < 0) return {-1, -1};
  if (connect(client, reinterpret_cast<const sockaddr*>(&l.address), l.length) != 0) {
    close(client);
    return {-1, -1};
  }
  return {client, accept(l.fd, nullptr, nullptr)};
}

}  // namespace netstat::testing
