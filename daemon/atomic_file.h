// Replacing a file so that a reader (node_exporter's textfile collector) only ever sees
// the old content or the whole new one: a temporary file beside the target, written and
// fsynced, then renamed over it, then the directory fsynced so the rename survives a crash.
#pragma once

#include <string>
#include <string_view>

namespace netstat::daemon {

// Writes `content` to `path` atomically. The temporary file is ".NAME.tmp.PID" in the
// same directory (a dot file not ending in .prom, so a textfile collector never reads
// it) and is removed on failure. New files get mode 0644 less the umask. Returns "" on
// success, else one line naming the file, the step that failed and the system's reason.
std::string WriteFileAtomically(const std::string& path, std::string_view content);

}  // namespace netstat::daemon
