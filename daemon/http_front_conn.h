// HttpFront's per-connection record, shared by its two files: http_front.cc (the loop,
// accepting, reading requests, the limit) and http_front_answer.cc (writing answers and
// the budget of unread ones).
#pragma once

#include <event2/buffer.h>

#include <cstdint>
#include <list>
#include <memory>
#include <string>

#include "daemon/http_front.h"

namespace netstat::daemon {

struct HttpFront::Conn {
  HttpFront* front = nullptr;
  uint64_t id = 0;
  bufferevent* client = nullptr;
  event* deadline = nullptr;
  Phase phase = kRequest;
  Clock::time_point since;                // when it entered its phase, or its client last read
  evbuffer_cb_entry* progress = nullptr;  // on the output while an answer is written
  bool head_only = false;                 // HEAD: the answer's head without its body
  bool flushed = false;     // the whole answer is in the kernel; waiting for the client's close
  bool client_eof = false;  // the client has shut down its side
  std::shared_ptr<const std::string> held;  // the body while the client has not read it
  std::list<std::unique_ptr<Conn>>::iterator self;
};

}  // namespace netstat::daemon
