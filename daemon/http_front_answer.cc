// Writing answers: the head, then the body by reference (shared with every other
// connection served by the same run), a ledger of the bytes clients have not read yet,
// and what happens once the whole answer is in the kernel.
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <utility>

#include "daemon/http_front.h"
#include "daemon/http_front_conn.h"

namespace netstat::daemon {
namespace {

// The body stays alive while libevent references it from an output buffer.
void DropBodyReference(const void*, size_t, void* holder) {
  delete static_cast<std::shared_ptr<const std::string>*>(holder);
}

}  // namespace

HttpFront::Response HttpFront::Response::Text(int status, std::string reason, std::string body,
                                              std::string headers) {
  Response r;
  r.status = status;
  r.reason = std::move(reason);
  r.headers = std::move(headers);
  r.body = std::make_shared<const std::string>(std::move(body));
  return r;
}

void HttpFront::Reply(Conn* c, int status, const char* reason) {
  Write(c, Response::Text(status, reason, std::string(reason) + "\n"));
}

void HttpFront::Write(Conn* c, const Response& r) {
  const size_t length = r.body ? r.body->size() : 0;
  evbuffer* out = bufferevent_get_output(c->client);
  evbuffer_add_printf(out,
                      "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
                      "Connection: close\r\n\r\n",
                      r.status, r.reason.c_str(), r.content_type.c_str(), length,
                      r.headers.c_str());
  if (length > 0 && !c->head_only) {
    evbuffer_add_reference(out, r.body->data(), length, &DropBodyReference,
                           new std::shared_ptr<const std::string>(r.body));
    c->held = r.body;
    if (unread_refs_[c->held.get()]++ == 0) unread_bytes_ += length;
  }
  MoveTo(c, kWriting);
  c->progress = evbuffer_add_cb(out, &HttpFront::OnOutputDrained, c);
  // Reading goes on and discards, so that a client still sending gets the answer
  // rather than a reset.
  bufferevent_enable(c->client, EV_READ);
  if (evbuffer_get_length(out) == 0) return Close(c);
  KeepWithinBudget(c);
}

// Bodies are shared between connections, so each counts once while any client has it
// unread. Over the budget, the oldest such connections (slow readers) are closed.
void HttpFront::KeepWithinBudget(const Conn* keep) {
  while (unread_bytes_ > options_.max_unread_bytes) {
    Conn* oldest = conns_[kWriting].front().get();
    if (oldest == keep) break;
    if (!warned_budget_) {
      spdlog::warn("http: answers not yet read hold over {} bytes; closing the oldest reader",
                   options_.max_unread_bytes);
      warned_budget_ = true;
    }
    Close(oldest);
  }
}

void HttpFront::Release(Conn* c) {
  if (!c->held) return;
  auto it = unread_refs_.find(c->held.get());
  if (--it->second == 0) {
    unread_bytes_ -= c->held->size();
    unread_refs_.erase(it);
  }
  c->held.reset();
}

// The whole answer is in the kernel. A plain connection is not closed yet: its write side
// is shut down and the client's own close awaited (the deadline still holds), so that a
// client that never reads stays one of our connections, counted and reset at its
// deadline or when room is needed, rather than an orphan the kernel keeps retrying.
void HttpFront::OnClientWritten(bufferevent* client, void* conn) {
  auto* c = static_cast<Conn*>(conn);
  if (c->phase != kWriting || c->flushed ||
      evbuffer_get_length(bufferevent_get_output(client)) > 0) {
    return;
  }
  HttpFront* front = c->front;
  front->Release(c);
  c->flushed = true;
  // TLS has no half-close of its own: its connections close as soon as the answer is in
  // the kernel, which then delivers the rest (at most twice the send buffer).
  if (front->ssl_ctx_ || c->client_eof || front->stopping_ ||
      ::shutdown(bufferevent_getfd(client), SHUT_WR) != 0) {
    return front->Close(c, /*reset_unread=*/false);
  }
  bufferevent_enable(client, EV_READ);
}
// The client took more of its answer: it goes to the back of the writers, so that the ones
// evicted first at the limit are those that read nothing for longest.
void HttpFront::OnOutputDrained(evbuffer*, const evbuffer_cb_info* info, void* conn) {
  auto* c = static_cast<Conn*>(conn);
  if (info->n_deleted > 0 && c->phase == kWriting) c->front->MoveTo(c, kWriting);
}

}  // namespace netstat::daemon
