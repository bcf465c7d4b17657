// A kernel record (listener_event.h) -> the facts a listener's labels and the expected
// rules look at. Pure: the caller reads /proc/PID/cmdline and resolves the user name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/listeners/expected_rules.h"
#include "readers/listen_trace/listener_event.h"

namespace netstat::listener_events {

// protocol, family, address (as ss -n prints it), port, uid and process. The process is
// the comm the kernel recorded, made untruncated from argv[0] (raw /proc/PID/cmdline,
// empty when the process is gone) the way the listeners collector does it. `user` and
// `netns` are left for the caller.
listeners::ListenerFacts DecodeEvent(const netstat_listener_event& e, std::string_view raw_cmdline);

// The comm as a string: up to its first NUL, at most 15 bytes.
std::string_view CommOf(const netstat_listener_event& e);

// True when the comm may have been cut by the kernel (15 bytes long), so that only
// /proc/PID/cmdline can give the whole name.
bool CommMayBeTruncated(const netstat_listener_event& e);

}  // namespace netstat::listener_events
