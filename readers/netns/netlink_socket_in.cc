// open(ns_path) on the caller's thread, then a dedicated std::thread does setns(fd,
// CLONE_NEWNET) and socket(AF_NETLINK) and ends; the join makes its results visible. Only
// that thread is ever in the other namespace, and it runs nothing else.
#include "readers/netns/netlink_socket_in.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <thread>

namespace netstat::netns {
namespace {

int Fail(int err, std::string line, std::string* error, int* error_number) {
  if (error != nullptr) *error = std::move(line);
  if (error_number != nullptr) *error_number = err;
  return -1;
}

std::string OpenErrorText(const std::string& ns_path, int err) {
  const std::string cause = std::strerror(err);
  switch (err) {
    case ENOENT:
    case ESRCH:
      return "network namespace " + ns_path + " is gone (" + cause + ")";
    case EACCES:
    case EPERM:
      return "cannot open network namespace " + ns_path + ": " + cause +
             " (needs root or CAP_SYS_PTRACE over its processes)";
    default:
      return "cannot open network namespace " + ns_path + ": " + cause;
  }
}

// Whether the calling thread holds CAP_SYS_ADMIN in its effective set.
bool HasSysAdmin() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  return (data[CAP_SYS_ADMIN / 32].effective & (1u << (CAP_SYS_ADMIN % 32))) != 0;
}

std::string SetnsErrorText(const std::string& ns_path, int err, bool had_sys_admin) {
  const std::string cause = std::strerror(err);
  switch (err) {
    case EPERM:
      // With the capability, the refusal comes from a seccomp filter (systemd's
      // RestrictNamespaces=) or an LSM: saying "capability missing" would mislead.
      return "cannot enter network namespace " + ns_path + ": " + cause +
             (had_sys_admin ? " (CAP_SYS_ADMIN is held: a seccomp filter such as systemd's "
                              "RestrictNamespaces= or an LSM forbids setns)"
                            : " (CAP_SYS_ADMIN is missing)");
    case EINVAL:
      return ns_path + " is not a network namespace (" + cause + ")";
    default:
      return "cannot enter network namespace " + ns_path + ": " + cause;
  }
}

}  // namespace

int OpenNetlinkSocketIn(const std::string& ns_path, int protocol, std::string* error,
                        int* error_number) {
  const int ns_fd = ::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (ns_fd < 0) {
    const int err = errno;
    return Fail(err, OpenErrorText(ns_path, err), error, error_number);
  }
  int sock = -1;
  int setns_errno = 0;
  bool had_sys_admin = false;
  int socket_errno = 0;
  try {
    // Written by the thread, read after join(): join synchronizes.
    std::thread worker([&] {
      if (::setns(ns_fd, CLONE_NEWNET) != 0) {
        setns_errno = errno;
        had_sys_admin = HasSysAdmin();  // the worker's capabilities are its creator's
        return;
      }
      sock = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
      if (sock < 0) socket_errno = errno;
    });
    worker.join();
  } catch (const std::system_error& e) {
    ::close(ns_fd);
    const int err = e.code().value() != 0 ? e.code().value() : EAGAIN;
    return Fail(err,
                "cannot start a thread to enter network namespace " + ns_path + ": " + e.what(),
                error, error_number);
  }
  ::close(ns_fd);
  if (setns_errno != 0) {
    return Fail(setns_errno, SetnsErrorText(ns_path, setns_errno, had_sys_admin), error,
                error_number);
  }
  if (sock < 0) {
    return Fail(socket_errno,
                "cannot create a netlink socket (protocol " + std::to_string(protocol) +
                    ") in network namespace " + ns_path + ": " + std::strerror(socket_errno),
                error, error_number);
  }
  if (error != nullptr) error->clear();
  if (error_number != nullptr) *error_number = 0;
  return sock;
}

}  // namespace netstat::netns
