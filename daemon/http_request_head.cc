#include "daemon/http_request_head.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace netstat::daemon {
namespace {

using Status = RequestHead::Status;

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool IStartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && IEquals(s.substr(0, prefix.size()), prefix);
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 9110 §5.6.2: tchar.
bool IsTokenChar(unsigned char c) {
  return std::isalnum(c) || (c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return IsTokenChar(static_cast<unsigned char>(c));
  });
}

// Field values: visible characters, obs-text, spaces and tabs; no other control byte.
bool IsFieldValue(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c == '\t' || (c >= 0x20 && c != 0x7f);
  });
}

// Splits off the next line (without "\n" or "\r\n") from *rest.
std::string_view NextLine(std::string_view* rest) {
  const size_t nl = rest->find('\n');
  std::string_view line = rest->substr(0, nl);
  rest->remove_prefix(nl == std::string_view::npos ? rest->size() : nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
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

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The path of an origin-form ("/metrics?x") or absolute-form ("http://host/metrics")
// target, percent-decoded. False for any other form, a fragment, a bad escape, or a
// decoded control character (a NUL would otherwise end the path early for some readers).
bool DecodeTarget(std::string_view target, std::string* path) {
  if (IStartsWith(target, "http://") || IStartsWith(target, "https://")) {
    target.remove_prefix(target.find("//") + 2);
    const size_t slash = target.find_first_of("/?");
    if (slash == 0) return false;  // no authority
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    if (target.front() == '?') return false;  // "http://host?x": no path
  }
  if (target.empty() || target.front() != '/') return false;
  target = target.substr(0, target.find('?'));
  path->clear();
  for (size_t i = 0; i < target.size(); ++i) {
    const auto c = static_cast<unsigned char>(target[i]);
    if (c <= 0x20 || c >= 0x7f || c == '#') return false;
    if (c != '%') {
      path->push_back(static_cast<char>(c));
      continue;
    }
    const int hi = i + 2 < target.size() ? HexDigit(target[i + 1]) : -1;
    const int lo = hi >= 0 ? HexDigit(target[i + 2]) : -1;
    if (lo < 0) return false;
    const int decoded = hi * 16 + lo;
    if (decoded < 0x20 || decoded == 0x7f) return false;
    path->push_back(static_cast<char>(decoded));
    i += 2;
  }
  return true;
}

// "GET /metrics HTTP/1.1": a method of capital letters, a target, an HTTP/1.x version,
// each separated by one space.
bool ParseRequestLine(std::string_view line, RequestHead* r) {
  const size_t sp1 = line.find(' ');
  if (sp1 == 0 || sp1 == std::string_view::npos) return false;
  const std::string_view method = line.substr(0, sp1);
  if (!std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return false;
  }
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return false;
  const std::string_view version = line.substr(sp2 + 1);
  if (version.size() != 8 || version.substr(0, 7) != "HTTP/1." || version[7] < '0' ||
      version[7] > '9') {
    return false;
  }
  r->method = method;
  r->minor_version = version[7] - '0';
  return DecodeTarget(line.substr(sp1 + 1, sp2 - sp1 - 1), &r->path);
}

// One header line into *r; false when the request must be refused with r->status.
bool ParseHeader(std::string_view line, RequestHead* r, int* hosts, bool* have_length) {
  const size_t colon = line.find(':');
  const std::string_view name = line.substr(0, colon);
  // No colon, an empty name, whitespace before the colon or a folded continuation line.
  if (colon == std::string_view::npos || !IsToken(name)) return false;
  const std::string_view value = TrimSpace(line.substr(colon + 1));
  if (!IsFieldValue(value)) return false;
  if (IEquals(name, "Transfer-Encoding")) {
    r->status = Status::kNeedsLength;
    return false;
  }
  if (IEquals(name, "Host")) {
    ++*hosts;
  } else if (IEquals(name, "Authorization")) {
    if (r->has_authorization) return false;  // two credentials: which one?
    r->has_authorization = true;
    r->authorization = value;
  } else if (IEquals(name, "Accept-Encoding")) {
    if (!r->accept_encoding.empty()) r->accept_encoding += ',';
    r->accept_encoding += value;
  } else if (IEquals(name, "Content-Length")) {
    if (value.empty() || value.size() > 18 ||
        !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    size_t n = 0;
    for (char c : value) n = n * 10 + static_cast<size_t>(c - '0');
    if (*have_length && n != r->body_bytes) return false;
    *have_length = true;
    r->body_bytes = n;
  }
  return true;
}

}  // namespace

RequestHead ParseRequestHead(std::string_view received, const RequestLimits& limits) {
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
  r.status = Status::kBadRequest;
  if (!ParseRequestLine(NextLine(&rest), &r)) return r;
  int hosts = 0;
  bool have_length = false;
  for (std::string_view line = NextLine(&rest); !line.empty(); line = NextLine(&rest)) {
    if (!ParseHeader(line, &r, &hosts, &have_length)) return r;
  }
  // RFC 9112 §3.2: an HTTP/1.1 request without a Host, or any request with two, is 400.
  if (hosts > 1 || (r.minor_version >= 1 && hosts == 0)) return r;
  if (r.body_bytes > limits.max_body_bytes) {
    r.status = Status::kBodyTooLarge;
    return r;
  }
  r.status = Status::kComplete;
  r.head_bytes = end;
  return r;
}

bool AcceptsGzip(std::string_view accept_encoding) {
  bool gzip_named = false, gzip_ok = false, star_ok = false;
  while (!accept_encoding.empty()) {
    const size_t comma = accept_encoding.find(',');
    std::string_view item = accept_encoding.substr(0, comma);
    accept_encoding.remove_prefix(comma == std::string_view::npos ? accept_encoding.size()
                                                                  : comma + 1);
    const size_t semi = item.find(';');
    const std::string_view coding = TrimSpace(item.substr(0, semi));
    bool positive = true;
    // "q=0", "q=0.0", "q=0.000" refuse; any other weight accepts (RFC 9110 §12.4.2).
    for (std::string_view params = semi == std::string_view::npos ? "" : item.substr(semi + 1);
         !params.empty();) {
      const size_t next = params.find(';');
      const std::string_view p = TrimSpace(params.substr(0, next));
      params.remove_prefix(next == std::string_view::npos ? params.size() : next + 1);
      if (!IStartsWith(p, "q=")) continue;
      const std::string_view q = p.substr(2);
      positive = !q.empty() && q.find_first_not_of("0.") != std::string_view::npos;
    }
    if (IEquals(coding, "gzip") || IEquals(coding, "x-gzip")) {
      gzip_named = true;
      gzip_ok = gzip_ok || positive;
    } else if (coding == "*") {
      star_ok = positive;
    }
  }
  return gzip_named ? gzip_ok : star_ok;
}

}  // namespace netstat::daemon
