// A small loopback relay in front of CivetWeb for what Debian's CivetWeb build cannot do
// itself: listen on IPv6 (it is built without USE_IPV6) and speak TLS (its OpenSSL 1.1
// binding resets connections under OpenSSL 3). Each accepted connection, after an
// optional TLS handshake, is piped to CivetWeb on 127.0.0.1; HTTP, auth and gzip stay
// CivetWeb's and the Exposer's.
#pragma once

#include <netinet/in.h>

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace netstat::daemon {

class TcpRelay {
 public:
  struct Tls {
    std::string cert_file;
    std::string key_file;
  };

  // Binds `host:port` (an IPv6 or IPv4 literal; "::" binds IPv6 only) and relays to
  // 127.0.0.1:`target_port`. Throws std::runtime_error when it cannot bind or load TLS.
  TcpRelay(const std::string& host, int port, int target_port, const Tls* tls);
  ~TcpRelay();  // stops accepting, ends open connections, waits for their threads

  TcpRelay(const TcpRelay&) = delete;
  TcpRelay& operator=(const TcpRelay&) = delete;

  int port() const { return port_; }

 private:
  static constexpr int kMaxConnections = 64;

  void AcceptLoop();
  void Serve(int client);  // the thread body: ServeConnection, then the count
  void ServeConnection(int client);
  void Pipe(int client, void* ssl, int upstream);

  int listen_fd_ = -1;
  int stop_fd_ = -1;  // eventfd: wakes the accept loop and every connection on shutdown
  int port_ = 0;
  int target_port_ = 0;
  void* ssl_ctx_ = nullptr;  // SSL_CTX*, kept opaque so the header needs no OpenSSL
  std::thread acceptor_;
  // Connections run on detached threads; the destructor waits until none is left.
  std::mutex mu_;
  std::condition_variable idle_cv_;
  int active_ = 0;
};

}  // namespace netstat::daemon
