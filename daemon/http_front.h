// The HTTP front: one libevent loop that owns every public listening socket (IPv4, IPv6,
// TLS) and hands CivetWeb only whole requests. Why: CivetWeb serves each connection on
// one of a few threads for as long as the client keeps it, so a handful of clients that
// send half a request would silence every scrape. Here an idle connection costs a buffer,
// not a thread:
//   accept -> read the head (and a small body) under a deadline and a size limit
//          -> open a one-request connection to CivetWeb on 127.0.0.1, send it whole
//          -> copy the answer back -> close.
// Debian's CivetWeb also cannot listen on IPv6 or speak TLS under OpenSSL 3; the front
// does both (libevent's OpenSSL bufferevents).
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "daemon/http_request_head.h"

struct event_base;
struct event;
struct evconnlistener;
struct bufferevent;
struct sockaddr;

namespace netstat::daemon {

class HttpFront {
 public:
  struct Options {
    int upstream_port = 0;      // CivetWeb on 127.0.0.1
    std::string tls_cert_file;  // both set: every listener speaks TLS
    std::string tls_key_file;
    RequestLimits limits;
    std::chrono::milliseconds header_timeout{5000};     // accept to whole request
    std::chrono::milliseconds response_timeout{60000};  // request sent to answer delivered
    size_t max_connections = 0;                         // 0: from RLIMIT_NOFILE
  };

  // Throws std::runtime_error when the TLS files do not load.
  explicit HttpFront(Options options);
  ~HttpFront();  // Stop()

  HttpFront(const HttpFront&) = delete;
  HttpFront& operator=(const HttpFront&) = delete;

  // Before Start(): binds host:port ("::" binds IPv6 only); returns the bound port.
  // Throws std::runtime_error with the reason.
  int Listen(const std::string& host, int port);
  void Start();
  // Stops accepting and closes connections still sending their request; requests
  // already passed to CivetWeb finish (up to response_timeout). Idempotent.
  void Stop();

  size_t max_connections() const { return max_connections_; }

 private:
  struct Conn;
  enum class Phase { kRequest, kForwarding, kClosing };

  static void OnAccept(evconnlistener*, int fd, sockaddr*, int, void* self);
  static void OnAcceptError(evconnlistener*, void* self);
  static void OnStop(int, short, void* self);
  static void OnResume(int, short, void* self);
  static void OnDeadline(int, short, void* conn);
  static void OnClientRead(bufferevent*, void* conn);
  static void OnClientWritten(bufferevent*, void* conn);
  static void OnClientEvent(bufferevent*, short what, void* conn);
  static void OnUpstreamRead(bufferevent*, void* conn);
  static void OnUpstreamEvent(bufferevent*, short what, void* conn);

  void Accept(int fd);
  bool MakeRoom();
  void ReadRequest(Conn* c);
  void Forward(Conn* c, size_t head_bytes, size_t body_bytes);
  void Reply(Conn* c, int status, const char* reason);
  void FinishWhenFlushed(Conn* c);
  void Close(Conn* c);
  void StopInLoop();

  Options options_;
  size_t max_connections_ = 0;
  void* ssl_ctx_ = nullptr;  // SSL_CTX*, opaque so that this header needs no OpenSSL
  event_base* base_ = nullptr;
  event* stop_ev_ = nullptr;
  event* resume_ev_ = nullptr;  // re-enables accepting after EMFILE
  std::vector<evconnlistener*> listeners_;
  std::list<std::unique_ptr<Conn>> conns_;  // oldest first
  bool stopping_ = false;
  bool stopped_ = false;
  bool warned_full_ = false;
  std::thread loop_;
};

}  // namespace netstat::daemon
