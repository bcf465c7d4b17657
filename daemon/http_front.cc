#include "daemon/http_front.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string_view>

namespace netstat::daemon {
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

// Each connection holds one fd while it sends its request and three while CivetWeb
// answers it (ours, the upstream one, CivetWeb's); keep room for the collectors' own.
size_t ConnectionsForFileLimit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 4096;
  if (rl.rlim_cur <= 256) return 64;
  return std::min<size_t>((rl.rlim_cur - 128) / 2, 16384);
}

SSL_CTX* MakeTlsContext(const std::string& cert, const std::string& key) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    if (ctx) SSL_CTX_free(ctx);
    throw std::runtime_error("TLS: " + cert + ", " + key + ": " + buf);
  }
  return ctx;
}

}  // namespace

struct HttpFront::Conn {
  HttpFront* front = nullptr;
  bufferevent* client = nullptr;
  bufferevent* upstream = nullptr;
  event* deadline = nullptr;
  Phase phase = Phase::kRequest;
  bool answered = false;  // bytes of CivetWeb's answer already went to the client
  std::list<std::unique_ptr<Conn>>::iterator self;
};

HttpFront::HttpFront(Options options) : options_(std::move(options)) {
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
}

HttpFront::~HttpFront() {
  Stop();
  while (!conns_.empty()) Close(conns_.front().get());
  for (evconnlistener* l : listeners_) evconnlistener_free(l);
  event_free(stop_ev_);
  event_free(resume_ev_);
  event_base_free(base_);
  if (ssl_ctx_) SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
}

int HttpFront::Listen(const std::string& host, int port) {
  sockaddr_storage ss{};
  socklen_t len;
  const bool v6 = host.find(':') != std::string::npos;
  if (v6) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, host.c_str(), &a6->sin6_addr) != 1) {
      throw std::runtime_error("not an IPv6 address: " + host);
    }
    len = sizeof(sockaddr_in6);
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&ss);
    a4->sin_family = AF_INET;
    a4->sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host.empty() ? "0.0.0.0" : host.c_str(), &a4->sin_addr) != 1) {
      throw std::runtime_error("not an IPv4 address: " + host);
    }
    len = sizeof(sockaddr_in);
  }
  const int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int one = 1;
  if (fd < 0 || ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      (v6 && ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
      ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd, 1024) != 0) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    throw std::runtime_error(why);
  }
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  evconnlistener* l = evconnlistener_new(base_, &HttpFront::OnAccept, this,
                                         LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
  if (!l) {
    ::close(fd);
    throw std::runtime_error("evconnlistener_new failed");
  }
  evconnlistener_set_error_cb(l, &HttpFront::OnAcceptError);
  listeners_.push_back(l);
  return ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                  : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
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

void HttpFront::StopInLoop() {
  stopping_ = true;
  for (evconnlistener* l : listeners_) evconnlistener_free(l);
  listeners_.clear();
  std::vector<Conn*> waiting;
  for (auto& c : conns_) {
    if (c->phase == Phase::kRequest) waiting.push_back(c.get());
  }
  for (Conn* c : waiting) Close(c);
  if (conns_.empty()) event_base_loopbreak(base_);
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

// At the limit, the oldest connection that has not finished its request makes room: a
// flood of idle connections then only ever displaces itself.
bool HttpFront::MakeRoom() {
  for (auto& c : conns_) {
    if (c->phase != Phase::kRequest) continue;
    if (!warned_full_) {
      spdlog::warn("http: {} connections open; closing the oldest that has not sent a request",
                   max_connections_);
      warned_full_ = true;
    }
    Close(c.get());
    return true;
  }
  return false;
}

void HttpFront::Accept(int fd) {
  if (stopping_ || (conns_.size() >= max_connections_ && !MakeRoom())) {
    ::close(fd);
    return;
  }
  if (conns_.size() < max_connections_ / 2) warned_full_ = false;
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
  auto conn = std::make_unique<Conn>();
  Conn* c = conn.get();
  c->front = this;
  c->client = bev;
  c->deadline = evtimer_new(base_, &HttpFront::OnDeadline, c);
  const timeval deadline = ToTimeval(options_.header_timeout);
  evtimer_add(c->deadline, &deadline);
  bufferevent_setcb(bev, &HttpFront::OnClientRead, nullptr, &HttpFront::OnClientEvent, c);
  // Reading stops at the watermark; what is larger than the limits is refused anyway.
  bufferevent_setwatermark(bev, EV_READ, 0,
                           options_.limits.max_head_bytes + options_.limits.max_body_bytes + 1);
  bufferevent_enable(bev, EV_READ);
  conns_.push_back(std::move(conn));
  c->self = std::prev(conns_.end());
}

void HttpFront::OnClientRead(bufferevent*, void* conn) {
  auto* c = static_cast<Conn*>(conn);
  c->front->ReadRequest(c);
}

void HttpFront::ReadRequest(Conn* c) {
  evbuffer* in = bufferevent_get_input(c->client);
  if (c->phase != Phase::kRequest) {
    evbuffer_drain(in, evbuffer_get_length(in));  // nothing more is read from a client
    return;
  }
  const size_t len = evbuffer_get_length(in);
  const char* data = reinterpret_cast<const char*>(evbuffer_pullup(in, -1));
  const RequestHead head = ParseRequestHead(std::string_view(data, len), options_.limits);
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
      return Forward(c, head.head_bytes, head.body_bytes);
  }
}

void HttpFront::Forward(Conn* c, size_t head_bytes, size_t body_bytes) {
  evbuffer* in = bufferevent_get_input(c->client);
  const char* data = reinterpret_cast<const char*>(evbuffer_pullup(in, -1));
  std::string request = UpstreamHead(std::string_view(data, head_bytes));
  request.append(data + head_bytes, body_bytes);
  evbuffer_drain(in, evbuffer_get_length(in));
  c->phase = Phase::kForwarding;
  const timeval deadline = ToTimeval(options_.response_timeout);
  evtimer_add(c->deadline, &deadline);

  sockaddr_in upstream{};
  upstream.sin_family = AF_INET;
  upstream.sin_port = htons(static_cast<uint16_t>(options_.upstream_port));
  upstream.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  c->upstream = bufferevent_socket_new(base_, -1, BEV_OPT_CLOSE_ON_FREE);
  if (!c->upstream ||
      bufferevent_socket_connect(c->upstream, reinterpret_cast<sockaddr*>(&upstream),
                                 sizeof upstream) != 0) {
    return Reply(c, 502, "Bad Gateway");
  }
  bufferevent_setcb(c->upstream, &HttpFront::OnUpstreamRead, nullptr, &HttpFront::OnUpstreamEvent,
                    c);
  bufferevent_write(c->upstream, request.data(), request.size());
  bufferevent_enable(c->upstream, EV_READ);
}

void HttpFront::OnUpstreamRead(bufferevent* upstream, void* conn) {
  auto* c = static_cast<Conn*>(conn);
  evbuffer* in = bufferevent_get_input(upstream);
  if (evbuffer_get_length(in) == 0) return;
  c->answered = true;
  evbuffer_add_buffer(bufferevent_get_output(c->client), in);
}

void HttpFront::OnUpstreamEvent(bufferevent* upstream, short what, void* conn) {
  auto* c = static_cast<Conn*>(conn);
  if (what & BEV_EVENT_CONNECTED) return;
  OnUpstreamRead(upstream, conn);
  bufferevent_free(c->upstream);
  c->upstream = nullptr;
  if ((what & BEV_EVENT_EOF) && c->answered) return c->front->FinishWhenFlushed(c);
  if (!c->answered) return c->front->Reply(c, 502, "Bad Gateway");
  c->front->Close(c);  // the answer broke off half-way: the client must not take it as whole
}

void HttpFront::Reply(Conn* c, int status, const char* reason) {
  if (c->upstream) {
    bufferevent_free(c->upstream);
    c->upstream = nullptr;
  }
  evbuffer_add_printf(bufferevent_get_output(c->client),
                      "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
                      status, reason, std::strlen(reason) + 1, reason);
  FinishWhenFlushed(c);
}

// The answer is queued: close once the client has it. Reading goes on and discards, so
// that a client still sending gets the answer rather than a reset.
void HttpFront::FinishWhenFlushed(Conn* c) {
  c->phase = Phase::kClosing;
  bufferevent_setcb(c->client, &HttpFront::OnClientRead, &HttpFront::OnClientWritten,
                    &HttpFront::OnClientEvent, c);
  bufferevent_enable(c->client, EV_READ);
  if (evbuffer_get_length(bufferevent_get_output(c->client)) == 0) Close(c);
}

void HttpFront::OnClientWritten(bufferevent* client, void* conn) {
  auto* c = static_cast<Conn*>(conn);
  if (c->phase == Phase::kClosing && evbuffer_get_length(bufferevent_get_output(client)) == 0) {
    c->front->Close(c);
  }
}

void HttpFront::OnClientEvent(bufferevent* client, short what, void* conn) {
  auto* c = static_cast<Conn*>(conn);
  if (what & BEV_EVENT_CONNECTED) return;  // the TLS handshake is done
  // A client that half-closes after its request still gets the answer.
  if ((what & BEV_EVENT_EOF) && c->phase != Phase::kRequest &&
      evbuffer_get_length(bufferevent_get_output(client)) > 0) {
    bufferevent_disable(client, EV_READ);
    return;
  }
  if ((what & BEV_EVENT_EOF) && c->phase == Phase::kForwarding) {
    bufferevent_disable(client, EV_READ);
    return;
  }
  c->front->Close(c);
}

void HttpFront::OnDeadline(int, short, void* conn) {
  auto* c = static_cast<Conn*>(conn);
  c->front->Close(c);
}

void HttpFront::Close(Conn* c) {
  if (c->upstream) bufferevent_free(c->upstream);
  bufferevent_free(c->client);
  event_free(c->deadline);
  conns_.erase(c->self);
  if (stopping_ && conns_.empty()) event_base_loopbreak(base_);
}

}  // namespace netstat::daemon
