// A netlink socket created inside another network namespace. The exporter is
// multi-threaded and its scrape threads must stay in their own namespace, so a short-lived
// thread of our own enters the namespace (setns), creates the socket and ends. A socket
// stays bound to the namespace it was created in, so the caller may use it on any thread.
#pragma once

#include <string>

namespace netstat::netns {

// socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol) inside the network namespace that
// ns_path (a bind mount or /proc/PID/ns/net) names. Returns the fd (the caller closes it), or
// -1 with *error set to one line naming ns_path and the cause and *error_number to the errno:
//   EPERM   setns refused: CAP_SYS_ADMIN missing, or a seccomp filter such as systemd's
//           RestrictNamespaces= (the line says which);
//   EACCES  ns_path may not be opened;
//   ENOENT, ESRCH  the namespace is gone;
//   EINVAL  ns_path is not a network namespace.
// error and error_number may be null. The caller's thread never changes namespace. Never
// throws: a thread that cannot start gives its errno (e.g. EAGAIN).
int OpenNetlinkSocketIn(const std::string& ns_path, int protocol, std::string* error,
                        int* error_number);

}  // namespace netstat::netns
