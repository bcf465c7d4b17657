// The HTTP server's connections: one libevent loop owns every listening socket (IPv4,
// IPv6, TLS) and every client, and hands the handler only whole, well-formed requests,
// on a few worker threads:
//   accept -> read the head (and a small body) under a deadline and a size limit
//          -> parse it strictly (http_request_head.h) -> the handler, on a worker
//          -> queue its answer (a shared body is referenced, not copied) -> close.
// Why: a thread per connection (CivetWeb's model) lets a handful of clients that send
// half a request, or never read their answer, silence every scrape. Here such a client
// costs a buffer and a share of a bounded budget, never a thread, and at the connection
// limit the oldest of them makes room.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "daemon/http_request_head.h"
#include "daemon/worker_pool.h"

struct event_base;
struct event;
struct evconnlistener;
struct bufferevent;
struct evbuffer;
struct evbuffer_cb_info;
struct sockaddr;

namespace netstat::daemon {

class HttpFront {
 public:
  using Clock = std::chrono::steady_clock;
  struct Request {
    RequestHead head;
    Clock::time_point arrival;  // when the request became whole
  };
  struct Response {
    int status = 200;
    std::string reason = "OK";
    std::string content_type = "text/plain; charset=utf-8";
    std::string headers;  // further header lines, each ending in "\r\n"
    std::shared_ptr<const std::string> body;

    // A plain-text answer.
    static Response Text(int status, std::string reason, std::string body,
                         std::string headers = "");
  };
  // Runs on a worker thread; must not throw (a throw is answered 500).
  using Handler = std::function<Response(const Request&)>;

  struct Options {
    Handler handler;
    std::string tls_cert_file;  // both set: every listener speaks TLS
    std::string tls_key_file;
    RequestLimits limits;
    std::chrono::milliseconds header_timeout{5000};     // accept to whole request
    std::chrono::milliseconds response_timeout{60000};  // whole request to answer delivered
    size_t max_connections = 0;                         // 0: from RLIMIT_NOFILE
    size_t workers = 4;
    // Bytes of answers that clients have not read yet, counted once per shared body.
    // Above it, the oldest connection still being answered is closed.
    size_t max_unread_bytes = 32 << 20;
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
  // Stops accepting and closes connections still sending their request; requests already
  // whole are answered (up to response_timeout). Idempotent.
  void Stop();

  size_t max_connections() const { return max_connections_; }

 private:
  struct Conn;
  // Oldest first within each phase; a connection moves between the lists as it goes.
  enum Phase { kRequest = 0, kWorking = 1, kWriting = 2 };
  struct Done {
    uint64_t id;
    Response response;
  };

  static void OnAccept(evconnlistener*, int fd, sockaddr*, int, void* self);
  static void OnAcceptError(evconnlistener*, void* self);
  static void OnStop(int, short, void* self);
  static void OnResume(int, short, void* self);
  static void OnDone(int, short, void* self);
  static void OnDeadline(int, short, void* conn);
  static void OnClientRead(bufferevent*, void* conn);
  static void OnClientWritten(bufferevent*, void* conn);
  static void OnClientEvent(bufferevent*, short what, void* conn);
  static void OnOutputDrained(evbuffer*, const evbuffer_cb_info* info, void* conn);

  void Accept(int fd);
  bool MakeRoom();
  void MoveTo(Conn* c, Phase phase);
  void ReadRequest(Conn* c);
  void Dispatch(Conn* c, RequestHead head);
  void TakeDone();
  void Reply(Conn* c, int status, const char* reason);
  void Write(Conn* c, const Response& r);
  void Release(Conn* c);
  void KeepWithinBudget(const Conn* keep);
  // reset_unread: a connection whose answer the client has not read is reset.
  void Close(Conn* c, bool reset_unread = true);
  void StopInLoop();
  bool Empty() const;

  Options options_;
  size_t max_connections_ = 0;
  void* ssl_ctx_ = nullptr;  // SSL_CTX*, opaque so that this header needs no OpenSSL
  event_base* base_ = nullptr;
  event* stop_ev_ = nullptr;
  event* resume_ev_ = nullptr;  // re-enables accepting after EMFILE
  event* done_ev_ = nullptr;    // a worker finished: TakeDone
  std::vector<evconnlistener*> listeners_;
  std::array<std::list<std::unique_ptr<Conn>>, 3> conns_;  // by Phase
  std::unordered_map<uint64_t, Conn*> by_id_;
  uint64_t next_id_ = 1;
  std::unordered_map<const std::string*, size_t> unread_refs_;  // body -> connections
  size_t unread_bytes_ = 0;
  bool stopping_ = false;
  bool warned_full_ = false;
  bool warned_budget_ = false;
  std::mutex done_mu_;
  std::vector<Done> done_;
  WorkerPool workers_;
  std::thread loop_;
};

}  // namespace netstat::daemon
