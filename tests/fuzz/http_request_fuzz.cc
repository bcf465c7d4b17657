// What a client sends the HTTP front before its request is whole: the head parser, and
// what it hands the handler of a complete head.
#include <cstdlib>
#include <string>

#include "daemon/http_request_head.h"
#include "tests/fuzz/fuzz_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using netstat::daemon::RequestHead;
  const std::string_view text = netstat::fuzz::AsText(data, size);
  const RequestHead head = netstat::daemon::ParseRequestHead(text, {});
  if (head.status != RequestHead::Status::kComplete) return 0;
  // A complete head lies within what arrived and within the limit; its path is absolute
  // and free of control characters (a decoded NUL or CR never reaches the handler).
  if (head.head_bytes > size || head.head_bytes > 8 * 1024) std::abort();
  if (head.path.empty() || head.path.front() != '/') std::abort();
  for (char c : head.path) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) std::abort();
  }
  (void)netstat::daemon::AcceptsGzip(head.accept_encoding);
  return 0;
}
