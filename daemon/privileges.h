// Least privilege after start-up: once the HTTP server has bound, the daemon keeps only the
// capabilities its enabled collectors need and drops the rest from every thread's effective,
// permitted, inheritable and ambient sets and bounding set, then sets no_new_privs and
// a seccomp filter that denies exec.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace netstat::daemon {

// Bit mask of the capabilities (1 << CAP_x) the named collectors need, with
// `namespaces: {mode: all}` when all_namespaces. This is the single place that says which
// collector needs which capability.
uint64_t NeededCapabilities(const std::vector<std::string>& enabled_collectors,
                            bool all_namespaces = false);

// "cap_dac_read_search,cap_sys_ptrace" for a mask; "none" when it is empty.
std::string CapabilityNames(uint64_t mask);

// Drops every capability outside NeededCapabilities(enabled_collectors) in every thread of
// the process and sets no_new_privs. Capabilities are per thread, so the threads already
// started (HTTP workers, background collectors) are each made to drop theirs too. Nothing to
// drop (an unprivileged user) is no error. Then denies execve (exec_filter.h) where seccomp
// is allowed. Logs what was kept at debug level; returns "" or what failed (also logged).
// Never throws. Call it once, after the listeners are bound.
std::string DropUnneededCapabilities(const std::vector<std::string>& enabled_collectors,
                                     bool all_namespaces = false);

}  // namespace netstat::daemon
