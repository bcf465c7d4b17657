// "The exporter never runs a program", enforced: a seccomp filter that makes execve and
// execveat fail with EPERM in every thread, installed after start-up by privileges.cc.
#pragma once

#include <string>

namespace netstat::daemon {

// Installs the filter on every thread (SECCOMP_FILTER_FLAG_TSYNC). Needs no_new_privs set
// on the calling thread first. Returns "" or why not (e.g. an outer filter denies seccomp(),
// as the systemd unit's does, or the architecture is not one this knows).
std::string DenyExec();

}  // namespace netstat::daemon
