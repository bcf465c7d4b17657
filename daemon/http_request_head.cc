#include "daemon/http_request_head.h"

#include <algorithm>
#include <cctype>

namespace netstat::daemon {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Splits off the next line (without "\n" or "\r\n") from *rest.
std::string_view NextLine(std::string_view* rest) {
  const size_t nl = rest->find('\n');
  std::string_view line = rest->substr(0, nl);
  rest->remove_prefix(nl == std::string_view::npos ? rest->size() : nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// "GET /metrics HTTP/1.1": a method of capital letters, a target without spaces, and an
// HTTP/1.x version.
bool ValidRequestLine(std::string_view line) {
  const size_t sp1 = line.find(' ');
  if (sp1 == 0 || sp1 == std::string_view::npos) return false;
  const std::string_view method = line.substr(0, sp1);
  if (!std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return false;
  }
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return false;
  const std::string_view version = line.substr(sp2 + 1);
  return version.size() == 8 && version.substr(0, 7) == "HTTP/1." && version[7] >= '0' &&
         version[7] <= '9';
}

// End of the head: the first empty line, as CRLF CRLF or a bare LF LF.
size_t HeadEnd(std::string_view s) {
  const size_t crlf = s.find("\r\n\r\n");
  const size_t lf = s.find("\n\n");
  if (crlf == std::string_view::npos && lf == std::string_view::npos) return 0;
  if (lf == std::string_view::npos || (crlf != std::string_view::npos && crlf < lf)) {
    return crlf + 4;
  }
  return lf + 2;
}

}  // namespace

RequestHead ParseRequestHead(std::string_view received, const RequestLimits& limits) {
  using Status = RequestHead::Status;
  RequestHead r;
  // A method is capital letters: anything else (a TLS hello on a plain port, binary
  // noise) is refused at its first byte instead of at the deadline.
  for (char c : received.substr(0, received.find(' '))) {
    if (c < 'A' || c > 'Z') {
      r.status = Status::kBadRequest;
      return r;
    }
  }
  const size_t end = HeadEnd(received);
  if (end == 0) {
    r.status = received.size() > limits.max_head_bytes ? Status::kTooLarge : Status::kIncomplete;
    return r;
  }
  if (end > limits.max_head_bytes) {
    r.status = Status::kTooLarge;
    return r;
  }
  std::string_view rest = received.substr(0, end);
  if (!ValidRequestLine(NextLine(&rest))) {
    r.status = Status::kBadRequest;
    return r;
  }
  bool have_length = false;
  for (std::string_view line = NextLine(&rest); !line.empty(); line = NextLine(&rest)) {
    const size_t colon = line.find(':');
    // No name, or a folded continuation line: neither is anything a scraper sends.
    if (colon == 0 || colon == std::string_view::npos || line.front() == ' ' ||
        line.front() == '\t') {
      r.status = Status::kBadRequest;
      return r;
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = Trim(line.substr(colon + 1));
    if (IEquals(name, "Transfer-Encoding")) {
      r.status = Status::kNeedsLength;
      return r;
    }
    if (!IEquals(name, "Content-Length")) continue;
    if (value.empty() || value.size() > 18 ||
        !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      r.status = Status::kBadRequest;
      return r;
    }
    size_t n = 0;
    for (char c : value) n = n * 10 + static_cast<size_t>(c - '0');
    if (have_length && n != r.body_bytes) {
      r.status = Status::kBadRequest;
      return r;
    }
    have_length = true;
    r.body_bytes = n;
  }
  if (r.body_bytes > limits.max_body_bytes) {
    r.status = Status::kBodyTooLarge;
    return r;
  }
  r.status = Status::kComplete;
  r.head_bytes = end;
  return r;
}

std::string UpstreamHead(std::string_view head) {
  std::string out;
  out.reserve(head.size() + 20);
  std::string_view rest = head;
  out.append(NextLine(&rest)).append("\r\n");
  for (std::string_view line = NextLine(&rest); !line.empty(); line = NextLine(&rest)) {
    const std::string_view name = line.substr(0, line.find(':'));
    if (IEquals(name, "Connection") || IEquals(name, "Keep-Alive") ||
        IEquals(name, "Proxy-Connection")) {
      continue;
    }
    out.append(line).append("\r\n");
  }
  out.append("Connection: close\r\n\r\n");
  return out;
}

}  // namespace netstat::daemon
