#include "config/values.h"

#include <arpa/inet.h>

#include <cctype>
#include <stdexcept>

namespace netstat::config {

std::chrono::milliseconds ParseDuration(const std::string& text) {
  if (text.empty()) throw std::invalid_argument("empty duration");
  if (text == "0") return std::chrono::milliseconds(0);
  long long total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      throw std::invalid_argument("\"" + text + "\" (want e.g. 30s, 1m30s, 500ms)");
    }
    long long n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      n = n * 10 + (text[i++] - '0');
      if (n > 1000000000LL) throw std::invalid_argument("\"" + text + "\" is too long");
    }
    std::string unit;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) unit += text[i++];
    long long scale;
    if (unit == "ms") {
      scale = 1;
    } else if (unit == "s") {
      scale = 1000;
    } else if (unit == "m") {
      scale = 60 * 1000;
    } else if (unit == "h") {
      scale = 3600 * 1000;
    } else if (unit == "d") {
      scale = 86400 * 1000;
    } else {
      throw std::invalid_argument("\"" + text + "\" (unit must be ms, s, m, h or d)");
    }
    total_ms += n * scale;
  }
  return std::chrono::milliseconds(total_ms);
}

ListenAddress ParseListenAddress(const std::string& text) {
  const std::string bad = "\"" + text + "\" (want :port, ipv4:port, localhost:port or [ipv6]:port)";
  ListenAddress out;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      throw std::invalid_argument(bad);
    }
    out.host = text.substr(1, close - 1);
    in6_addr a6;
    if (inet_pton(AF_INET6, out.host.c_str(), &a6) != 1) throw std::invalid_argument(bad);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) throw std::invalid_argument(bad);
    out.host = text.substr(0, colon);
    if (out.host == "localhost") out.host = "127.0.0.1";
    in_addr a4;
    if (!out.host.empty() && inet_pton(AF_INET, out.host.c_str(), &a4) != 1) {
      throw std::invalid_argument(bad);
    }
    port = text.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5) throw std::invalid_argument(bad);
  for (char c : port) {
    if (!std::isdigit(static_cast<unsigned char>(c))) throw std::invalid_argument(bad);
  }
  out.port = std::stoi(port);
  if (out.port > 65535) throw std::invalid_argument(bad);
  return out;
}

std::string CanonicalIp(const std::string& text) {
  char buf[INET6_ADDRSTRLEN];
  in_addr a4;
  if (inet_pton(AF_INET, text.c_str(), &a4) == 1) {
    return inet_ntop(AF_INET, &a4, buf, sizeof buf);
  }
  in6_addr a6;
  if (inet_pton(AF_INET6, text.c_str(), &a6) == 1) {
    return inet_ntop(AF_INET6, &a6, buf, sizeof buf);
  }
  throw std::invalid_argument("\"" + text + "\" is not an IPv4 or IPv6 address");
}

void CheckLogLevel(const std::string& level) {
  if (level != "debug" && level != "info" && level != "warn" && level != "error") {
    throw std::invalid_argument("\"" + level + "\" (want debug, info, warn or error)");
  }
}

void CheckLogFormat(const std::string& format) {
  if (format != "logfmt" && format != "json") {
    throw std::invalid_argument("\"" + format + "\" (want logfmt or json)");
  }
}

void CheckTelemetryPath(const std::string& path) {
  if (path.empty() || path.front() != '/' || path == "/" || path == "/-/healthy" ||
      path == "/-/ready") {
    throw std::invalid_argument("\"" + path + "\" (want an absolute path such as /metrics)");
  }
}

}  // namespace netstat::config
