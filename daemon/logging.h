// spdlog set up for logfmt or JSON lines on stderr.
#pragma once

#include <string>

namespace netstat::daemon {

// level: debug|info|warn|error; format: logfmt|json (both already validated).
void SetupLogging(const std::string& level, const std::string& format);

}  // namespace netstat::daemon
