#include "daemon/http_front.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <linux/sockios.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "daemon/http_front_conn.h"
#include "daemon/http_sockets.h"

namespace netstat::daemon {
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

}  // namespace

HttpFront::HttpFront(Options options)
    : options_(std::move(options)), workers_(options_.workers ? options_.workers : 1) {
  static std::once_flag threads_once;
  std::call_once(threads_once, [] { evthread_use_pthreads(); });
  max_connections_ =
      options_.max_connections ? options_.max_connections : ConnectionsForFileLimit();
  if (!options_.tls_cert_file.empty()) {
    ssl_ctx_ = MakeTlsContext(options_.tls_cert_file, options_.tls_key_file);
  }
  base_ = event_base_new();
  if (!base_) throw std::runtime_error("event_base_new failed");
  stop_ev_ = event_new(base_, -1, 0, &HttpFront::OnStop, this);
  resume_ev_ = evtimer_new(base_, &HttpFront::OnResume, this);
  done_ev_ = event_new(base_, -1, 0, &HttpFront::OnDone, this);
}

HttpFront::~HttpFront() {
  Stop();
  workers_.Stop();  // after the loop: a job still running may post to done_ev_
  for (auto& list : conns_) {
    while (!list.empty()) Close(list.front().get());
  }
  for (evconnlistener* l : listeners_) evconnlistener_free(l);
  event_free(stop_ev_);
  event_free(resume_ev_);
  event_free(done_ev_);
  event_base_free(base_);
  if (ssl_ctx_) SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
}

int HttpFront::Listen(const std::string& host, int port) {
  const ListeningSocket sock = BindListeningSocket(host, port);
  const int fd = sock.fd;
  evconnlistener* l = evconnlistener_new(base_, &HttpFront::OnAccept, this,
                                         LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
  if (!l) {
    ::close(fd);
    throw std::runtime_error("evconnlistener_new failed");
  }
  evconnlistener_set_error_cb(l, &HttpFront::OnAcceptError);
  listeners_.push_back(l);
  return sock.port;
}

void HttpFront::Start() {
  loop_ = std::thread([this] { event_base_loop(base_, EVLOOP_NO_EXIT_ON_EMPTY); });
}

void HttpFront::Stop() {
  if (!loop_.joinable()) return;
  event_active(stop_ev_, EV_READ, 0);
  loop_.join();
}

void HttpFront::OnStop(int, short, void* self) { static_cast<HttpFront*>(self)->StopInLoop(); }

bool HttpFront::Empty() const {
  return conns_[kRequest].empty() && conns_[kWorking].empty() && conns_[kWriting].empty();
}

void HttpFront::StopInLoop() {
  stopping_ = true;
  for (evconnlistener* l : listeners_) evconnlistener_free(l);
  listeners_.clear();
  while (!conns_[kRequest].empty()) Close(conns_[kRequest].front().get());
  // Answers already in the kernel are delivered from there.
  std::vector<Conn*> flushed;
  for (auto& c : conns_[kWriting]) {
    if (c->flushed) flushed.push_back(c.get());
  }
  for (Conn* c : flushed) Close(c, /*reset_unread=*/false);
  if (Empty()) event_base_loopbreak(base_);
}

void HttpFront::OnAccept(evconnlistener*, int fd, sockaddr*, int, void* self) {
  static_cast<HttpFront*>(self)->Accept(fd);
}

void HttpFront::OnAcceptError(evconnlistener*, void* self) {
  // Out of fds (EMFILE/ENFILE): a listener left enabled would spin; pause accepting.
  auto* front = static_cast<HttpFront*>(self);
  spdlog::warn("http: accept failed: {}; pausing new connections for 100 ms", std::strerror(errno));
  for (evconnlistener* l : front->listeners_) evconnlistener_disable(l);
  const timeval pause = ToTimeval(std::chrono::milliseconds(100));
  evtimer_add(front->resume_ev_, &pause);
}

void HttpFront::OnResume(int, short, void* self) {
  for (evconnlistener* l : static_cast<HttpFront*>(self)->listeners_) evconnlistener_enable(l);
}

// At the limit, one connection makes room, in this order: the oldest that has sat for
// kIdleGrace without sending its whole request (an idle flood), else the oldest whose
// answer has gone unread longest (slow readers), else the oldest not yet whole, else the oldest
// waiting for its answer. A flood of idle or non-reading clients so only ever displaces
// itself. The grace keeps a scrape that has just connected, whose request is read on the
// loop's next turn, from being the first to go while clients that re-open at once churn
// through the limit.
bool HttpFront::MakeRoom() {
  constexpr auto kIdleGrace = std::chrono::milliseconds(250);
  Conn* victim = nullptr;
  if (!conns_[kRequest].empty() && Clock::now() - conns_[kRequest].front()->since >= kIdleGrace) {
    victim = conns_[kRequest].front().get();
  }
  for (Phase p : {kWriting, kRequest, kWorking}) {
    if (!victim && !conns_[p].empty()) victim = conns_[p].front().get();
  }
  if (!victim) return false;
  if (!warned_full_) {
    spdlog::warn("http: {} connections open; closing the oldest idle or unread one",
                 max_connections_);
    warned_full_ = true;
  }
  Close(victim);
  return true;
}

void HttpFront::MoveTo(Conn* c, Phase phase) {
  conns_[phase].splice(conns_[phase].end(), conns_[c->phase], c->self);
  c->phase = phase;
  c->since = Clock::now();
}

void HttpFront::Accept(int fd) {
  const size_t open = conns_[kRequest].size() + conns_[kWorking].size() + conns_[kWriting].size();
  if (stopping_ || (open >= max_connections_ && !MakeRoom())) {
    ::close(fd);
    return;
  }
  if (open < max_connections_ / 2) warned_full_ = false;
  bufferevent* bev;
  if (ssl_ctx_) {
    SSL* ssl = SSL_new(static_cast<SSL_CTX*>(ssl_ctx_));
    bev = ssl ? bufferevent_openssl_socket_new(base_, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                               BEV_OPT_CLOSE_ON_FREE)
              : nullptr;
    if (bev) bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
  } else {
    bev = bufferevent_socket_new(base_, fd, BEV_OPT_CLOSE_ON_FREE);
  }
  if (!bev) {
    ::close(fd);
    return;
  }
  // What the kernel holds of an answer the client does not read: at most twice this, so
  // 10,000 clients that never read cost the host's TCP memory ~320 MB, not gigabytes; the
  // rest waits in our buffer, shared with every other client of the same run. A scrape
  // over a 50 ms path still gets a gzipped answer in one round trip, a plain one in a few.
  const int sndbuf = 16 * 1024;
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  auto conn = std::make_unique<Conn>();
  Conn* c = conn.get();
  c->front = this;
  c->id = next_id_++;
  c->since = Clock::now();
  c->client = bev;
  c->deadline = evtimer_new(base_, &HttpFront::OnDeadline, c);
  const timeval deadline = ToTimeval(options_.header_timeout);
  evtimer_add(c->deadline, &deadline);
  bufferevent_setcb(bev, &HttpFront::OnClientRead, &HttpFront::OnClientWritten,
                    &HttpFront::OnClientEvent, c);
  // Reading stops at the watermark; what is larger than the limits is refused anyway.
  bufferevent_setwatermark(bev, EV_READ, 0,
                           options_.limits.max_head_bytes + options_.limits.max_body_bytes + 1);
  bufferevent_enable(bev, EV_READ);
  conns_[kRequest].push_back(std::move(conn));
  c->self = std::prev(conns_[kRequest].end());
  by_id_[c->id] = c;
}

void HttpFront::OnClientRead(bufferevent*, void* conn) {
  auto* c = static_cast<Conn*>(conn);
  c->front->ReadRequest(c);
}

void HttpFront::ReadRequest(Conn* c) {
  evbuffer* in = bufferevent_get_input(c->client);
  if (c->phase != kRequest) {
    evbuffer_drain(in, evbuffer_get_length(in));  // one request per connection
    return;
  }
  const size_t len = evbuffer_get_length(in);
  const char* data = reinterpret_cast<const char*>(evbuffer_pullup(in, -1));
  RequestHead head = ParseRequestHead(std::string_view(data, len), options_.limits);
  switch (head.status) {
    case RequestHead::Status::kIncomplete:
      return;
    case RequestHead::Status::kTooLarge:
      return Reply(c, 431, "Request Header Fields Too Large");
    case RequestHead::Status::kBodyTooLarge:
      return Reply(c, 413, "Content Too Large");
    case RequestHead::Status::kBadRequest:
      return Reply(c, 400, "Bad Request");
    case RequestHead::Status::kNeedsLength:
      return Reply(c, 411, "Length Required");
    case RequestHead::Status::kComplete:
      if (len < head.head_bytes + head.body_bytes) return;  // the body is on its way
      evbuffer_drain(in, len);
      return Dispatch(c, std::move(head));
  }
}

void HttpFront::Dispatch(Conn* c, RequestHead head) {
  MoveTo(c, kWorking);
  c->head_only = head.method == "HEAD";
  const timeval deadline = ToTimeval(options_.response_timeout);
  evtimer_add(c->deadline, &deadline);
  workers_.Submit([this, id = c->id, request = Request{std::move(head), Clock::now()}] {
    Done done{id, {}};
    try {
      done.response = options_.handler(request);
    } catch (...) {
      done.response = Response::Text(500, "Internal Server Error", "Internal Server Error\n");
    }
    {
      std::lock_guard lk(done_mu_);
      done_.push_back(std::move(done));
    }
    event_active(done_ev_, EV_READ, 0);
  });
}

void HttpFront::OnDone(int, short, void* self) { static_cast<HttpFront*>(self)->TakeDone(); }

void HttpFront::TakeDone() {
  std::vector<Done> done;
  {
    std::lock_guard lk(done_mu_);
    done.swap(done_);
  }
  for (Done& d : done) {
    auto it = by_id_.find(d.id);
    if (it != by_id_.end()) Write(it->second, d.response);  // else closed meanwhile
  }
}

void HttpFront::OnClientEvent(bufferevent* client, short what, void* conn) {
  auto* c = static_cast<Conn*>(conn);
  if (what & BEV_EVENT_CONNECTED) return;  // the TLS handshake is done
  // A client that half-closes after its request still gets the answer.
  if ((what & BEV_EVENT_EOF) && c->phase != kRequest && !c->flushed) {
    c->client_eof = true;
    bufferevent_disable(client, EV_READ);
    return;
  }
  c->front->Close(c);
}

void HttpFront::OnDeadline(int, short, void* conn) {
  auto* c = static_cast<Conn*>(conn);
  c->front->Close(c);
}

void HttpFront::Close(Conn* c, bool reset_unread) {
  const int fd = bufferevent_getfd(c->client);
  int unsent = 0;
  if (reset_unread && c->phase == kWriting &&
      (evbuffer_get_length(bufferevent_get_output(c->client)) > 0 ||
       (::ioctl(fd, SIOCOUTQ, &unsent) == 0 && unsent > 0))) {
    // An answer the client has not read: reset rather than leave the kernel retrying it.
    const linger reset{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  }
  if (c->progress) evbuffer_remove_cb_entry(bufferevent_get_output(c->client), c->progress);
  Release(c);
  by_id_.erase(c->id);
  bufferevent_free(c->client);
  event_free(c->deadline);
  conns_[c->phase].erase(c->self);
  if (stopping_ && Empty()) event_base_loopbreak(base_);
}

}  // namespace netstat::daemon
