// The HTTP front's view of a request: where its head ends, how long its body is, and what
// the handler needs from it (method, decoded path, Authorization, Accept-Encoding). Pure,
// so it can be tested and fuzzed on bytes; the front (http_front.h) does the I/O.
//
// As strict as RFC 9112 asks: a header name that is not a token (whitespace before the
// colon, control bytes) is refused, as are control bytes in a value, a target that is
// neither origin-form nor absolute-form, a percent-escape that decodes to a control
// character, and an HTTP/1.1 request without exactly one Host. What is accepted here is
// exactly what the handler acts on: nothing else reads the head again.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace netstat::daemon {

struct RequestHead {
  enum class Status {
    kIncomplete,    // the blank line that ends the head has not arrived yet
    kComplete,      // every field below is set
    kTooLarge,      // the head exceeds max_head_bytes: 431
    kBodyTooLarge,  // the declared body exceeds max_body_bytes: 413
    kBadRequest,    // not a well-formed HTTP/1.x request head: 400
    kNeedsLength,   // Transfer-Encoding on a request: 411 (nothing here takes a stream)
  };
  Status status = Status::kIncomplete;
  size_t head_bytes = 0;  // through the blank line
  size_t body_bytes = 0;  // from Content-Length
  std::string method;     // "GET"
  std::string path;       // percent-decoded, without the query: "/metrics"
  int minor_version = 1;  // HTTP/1.0 or HTTP/1.1
  bool has_authorization = false;
  std::string authorization;    // the Authorization value
  std::string accept_encoding;  // every Accept-Encoding value, joined by ","
};

struct RequestLimits {
  size_t max_head_bytes = 8 * 1024;
  size_t max_body_bytes = 8 * 1024;  // nothing here takes a body; a small form at most
};

// Looks at what has arrived so far on a connection.
RequestHead ParseRequestHead(std::string_view received, const RequestLimits& limits);

// Whether an Accept-Encoding value allows a gzip answer: "gzip" or "x-gzip" with a
// q-value above 0, or "*" above 0 when gzip is not named ("gzip;q=0" refuses it).
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace netstat::daemon
