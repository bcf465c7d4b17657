// Parsing and validation of the scalar values the config and the command line share:
// durations, listen addresses, IP addresses, log settings. Pure; throw std::invalid_argument
// with a message that completes "invalid <what>: ...".
#pragma once

#include <chrono>
#include <string>

namespace netstat::config {

// Prometheus-style durations: "30s", "1m30s", "500ms", "2h". Zero is allowed.
std::chrono::milliseconds ParseDuration(const std::string& text);

// ":10099", "0.0.0.0:10099", "[::1]:10099", "127.0.0.1:0", "localhost:9100".
struct ListenAddress {
  std::string host;  // empty = every address
  int port = 0;
};
ListenAddress ParseListenAddress(const std::string& text);

// An IPv4 or IPv6 address in its canonical text form ("::1", "0.0.0.0").
std::string CanonicalIp(const std::string& text);

void CheckLogLevel(const std::string& level);    // debug|info|warn|error
void CheckLogFormat(const std::string& format);  // logfmt|json
void CheckTelemetryPath(const std::string& path);

}  // namespace netstat::config
