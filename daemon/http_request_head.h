// The HTTP front's view of a request: where its head ends, how long its body is, and the
// head rewritten for the one-request upstream connection to CivetWeb. Pure, so it can be
// tested and fuzzed on bytes; the front (http_front.h) does the I/O.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace netstat::daemon {

struct RequestHead {
  enum class Status {
    kIncomplete,    // the blank line that ends the head has not arrived yet
    kComplete,      // head_bytes and body_bytes are set
    kTooLarge,      // the head exceeds max_head_bytes: 431
    kBodyTooLarge,  // the declared body exceeds max_body_bytes: 413
    kBadRequest,    // not an HTTP/1.x request line, or a malformed Content-Length: 400
    kNeedsLength,   // Transfer-Encoding on a request: 411 (nothing here takes a stream)
  };
  Status status = Status::kIncomplete;
  size_t head_bytes = 0;  // through the blank line
  size_t body_bytes = 0;  // from Content-Length
};

struct RequestLimits {
  size_t max_head_bytes = 8 * 1024;
  size_t max_body_bytes = 8 * 1024;  // nothing here takes a body; a small form at most
};

// Looks at what has arrived so far on a connection.
RequestHead ParseRequestHead(std::string_view received, const RequestLimits& limits);

// The head as sent upstream: every Connection and Keep-Alive header dropped and
// "Connection: close" added, so CivetWeb answers one request and closes. `head` is
// the complete head (head_bytes of the received data).
std::string UpstreamHead(std::string_view head);

}  // namespace netstat::daemon
