#include "daemon/tcp_relay.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace netstat::daemon {
namespace {

std::string OpenSslError() {
  char buf[256];
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  return buf;
}

int ConnectLoopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Writes all of buf to a plain fd or through TLS; false when the peer is gone.
bool WriteAll(int fd, SSL* ssl, const char* buf, size_t n) {
  while (n > 0) {
    ssize_t w = ssl ? SSL_write(ssl, buf, static_cast<int>(n)) : ::send(fd, buf, n, MSG_NOSIGNAL);
    if (w <= 0) {
      if (!ssl && errno == EINTR) continue;
      return false;
    }
    buf += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

TcpRelay::TcpRelay(const std::string& host, int port, int target_port, const Tls* tls)
    : target_port_(target_port) {
  sockaddr_storage ss{};
  socklen_t len;
  int family;
  if (host.find(':') != std::string::npos) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
    a6->sin6_family = family = AF_INET6;
    a6->sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, host.c_str(), &a6->sin6_addr) != 1) {
      throw std::runtime_error("not an IPv6 address: " + host);
    }
    len = sizeof(sockaddr_in6);
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&ss);
    a4->sin_family = family = AF_INET;
    a4->sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host.empty() ? "0.0.0.0" : host.c_str(), &a4->sin_addr) != 1) {
      throw std::runtime_error("not an IPv4 address: " + host);
    }
    len = sizeof(sockaddr_in);
  }
  listen_fd_ = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  if (listen_fd_ < 0 || ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      (family == AF_INET6 &&
       ::setsockopt(listen_fd_, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
      ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
      ::listen(listen_fd_, 128) != 0) {
    const std::string why = std::strerror(errno);
    if (listen_fd_ >= 0) ::close(listen_fd_);
    throw std::runtime_error(why);
  }
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len);
  port_ = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                   : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (tls) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_use_certificate_chain_file(ctx, tls->cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, tls->key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
      const std::string why = OpenSslError();
      if (ctx) SSL_CTX_free(ctx);
      ::close(listen_fd_);
      throw std::runtime_error("TLS: " + tls->cert_file + ", " + tls->key_file + ": " + why);
    }
    ssl_ctx_ = ctx;
  }
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  acceptor_ = std::thread(&TcpRelay::AcceptLoop, this);
}

TcpRelay::~TcpRelay() {
  uint64_t one = 1;
  (void)!::write(stop_fd_, &one, sizeof one);
  acceptor_.join();
  {
    std::unique_lock lk(mu_);
    idle_cv_.wait(lk, [this] { return active_ == 0; });
  }
  ::close(listen_fd_);
  ::close(stop_fd_);
  if (ssl_ctx_) SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
}

void TcpRelay::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents) return;
    int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    {
      std::lock_guard lk(mu_);
      if (active_ >= kMaxConnections) {
        ::close(client);  // a flood of idle connections must not pin threads without bound
        continue;
      }
      ++active_;
    }
    std::thread(&TcpRelay::Serve, this, client).detach();
  }
}

void TcpRelay::Serve(int client) {
  ServeConnection(client);
  std::lock_guard lk(mu_);
  if (--active_ == 0) idle_cv_.notify_all();
}

void TcpRelay::ServeConnection(int client) {
  SSL* ssl = nullptr;
  timeval timeout{10, 0};  // a handshake or a request that stalls is dropped
  ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (ssl_ctx_) {
    ssl = SSL_new(static_cast<SSL_CTX*>(ssl_ctx_));
    SSL_set_fd(ssl, client);
    if (SSL_accept(ssl) != 1) {
      spdlog::debug("relay: TLS handshake failed: {}", OpenSslError());
      SSL_free(ssl);
      ::close(client);
      return;
    }
  }
  int upstream = ConnectLoopback(target_port_);
  if (upstream >= 0) {
    Pipe(client, ssl, upstream);
    ::close(upstream);
  }
  if (ssl) {
    SSL_shutdown(ssl);
    SSL_free(ssl);
  }
  ::close(client);
}

void TcpRelay::Pipe(int client, void* ssl_ptr, int upstream) {
  SSL* ssl = static_cast<SSL*>(ssl_ptr);
  char buf[16384];
  for (;;) {
    // Bytes OpenSSL already decrypted are not visible to poll().
    const bool pending = ssl && SSL_pending(ssl) > 0;
    pollfd fds[3] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (!pending && ::poll(fds, 3, 30000) <= 0) return;  // idle for 30 s, or poll failed
    if (fds[2].revents) return;
    if (pending || fds[0].revents) {
      ssize_t n = ssl ? SSL_read(ssl, buf, sizeof buf) : ::recv(client, buf, sizeof buf, 0);
      if (n <= 0 || !WriteAll(upstream, nullptr, buf, static_cast<size_t>(n))) return;
    }
    if (fds[1].revents) {
      ssize_t n = ::recv(upstream, buf, sizeof buf, 0);
      if (n <= 0 || !WriteAll(client, ssl, buf, static_cast<size_t>(n))) return;
    }
  }
}

}  // namespace netstat::daemon
