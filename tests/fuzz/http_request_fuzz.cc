// What a client sends the HTTP front before its request is whole: the head parser and the
// rewrite of a complete head for CivetWeb.
#include <cstdlib>
#include <string>

#include "daemon/http_request_head.h"
#include "tests/fuzz/fuzz_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using netstat::daemon::RequestHead;
  const std::string_view text = netstat::fuzz::AsText(data, size);
  const RequestHead head = netstat::daemon::ParseRequestHead(text, {});
  if (head.status != RequestHead::Status::kComplete) return 0;
  // A complete head lies within what arrived and within the limit, and its rewrite asks
  // CivetWeb to close after one answer.
  if (head.head_bytes > size || head.head_bytes > 8 * 1024) std::abort();
  const std::string upstream = netstat::daemon::UpstreamHead(text.substr(0, head.head_bytes));
  if (!upstream.ends_with("\r\nConnection: close\r\n\r\n")) std::abort();
  return 0;
}
