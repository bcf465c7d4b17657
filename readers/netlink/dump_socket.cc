#include "readers/netlink/dump_socket.h"

#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace netstat::netlink {
namespace {

// A drain reads what the kernel still had for an abandoned dump: each recv() of a
// running dump makes the kernel fill the next datagram, so a 200k-socket dump is a few
// thousand datagrams. Far more than that means something keeps writing to the socket.
constexpr int kMaxDrainDatagrams = 1 << 16;

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

DumpSocket::DumpSocket(mnl_socket* socket, int protocol, bool adopted)
    : socket_(socket),
      protocol_(protocol),
      adopted_(adopted),
      portid_(mnl_socket_get_portid(socket)),
      // Sequence numbers start from the clock, as iproute2's do, so a new socket's first
      // request is unlikely to share a number with anything older.
      seq_(static_cast<uint32_t>(time(nullptr))) {}

DumpSocket::~DumpSocket() {
  if (socket_ != nullptr) mnl_socket_close(socket_);
}

bool DumpSocket::Configure(mnl_socket* socket, std::chrono::milliseconds timeout,
                           std::string* error) {
  const int fd = mnl_socket_get_fd(socket);
  // SO_RCVBUFFORCE passes rmem_max when we may (root); plain SO_RCVBUF otherwise.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kSocketBuffer, sizeof kSocketBuffer) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kSocketBuffer, sizeof kSocketBuffer);
  }
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  timeval tv{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
    *error = Errno("setsockopt SO_RCVTIMEO");
    return false;
  }
  // An adopted socket may be bound already (explicitly, or by an earlier send).
  if (mnl_socket_get_portid(socket) == 0 && mnl_socket_bind(socket, 0, MNL_SOCKET_AUTOPID) < 0) {
    *error = Errno("bind");
    return false;
  }
  return true;
}

mnl_socket* DumpSocket::OpenConfigured(int protocol, std::chrono::milliseconds timeout,
                                       std::string* error) {
  mnl_socket* socket = mnl_socket_open2(protocol, SOCK_CLOEXEC);
  if (socket == nullptr) {
    *error = Errno("socket");
    return nullptr;
  }
  if (!Configure(socket, timeout, error)) {
    mnl_socket_close(socket);
    return nullptr;
  }
  return socket;
}

std::unique_ptr<DumpSocket> DumpSocket::Open(int protocol, std::string* error) {
  mnl_socket* socket = OpenConfigured(protocol, kDefaultTimeout, error);
  if (socket == nullptr) return nullptr;
  return std::unique_ptr<DumpSocket>(new DumpSocket(socket, protocol, false));
}

std::unique_ptr<DumpSocket> DumpSocket::Adopt(int fd, std::string* error) {
  int domain = 0, protocol = 0;
  socklen_t length = sizeof domain;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &length) < 0) {
    *error = Errno("adopt");
    if (errno != EBADF) close(fd);
    return nullptr;
  }
  length = sizeof protocol;
  if (domain != AF_NETLINK || getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &length) < 0) {
    *error = "adopt: not a netlink socket";
    close(fd);
    return nullptr;
  }
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  mnl_socket* socket = mnl_socket_fdopen(fd);
  if (socket == nullptr) {
    *error = Errno("adopt");
    close(fd);
    return nullptr;
  }
  if (!Configure(socket, kDefaultTimeout, error)) {
    mnl_socket_close(socket);
    return nullptr;
  }
  return std::unique_ptr<DumpSocket>(new DumpSocket(socket, protocol, true));
}

int DumpSocket::fd() const { return socket_ != nullptr ? mnl_socket_get_fd(socket_) : -1; }

bool DumpSocket::SetReceiveTimeout(std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) return false;  // 0 would mean "wait for ever"
  std::string error;
  if (socket_ != nullptr && !Configure(socket_, timeout, &error)) return false;
  timeout_ = timeout;
  return true;
}

std::string DumpSocket::Run(std::span<const uint8_t> request, Thunk thunk, void* handler) {
  nlmsghdr header{};
  if (request.size() < sizeof header) return "send: request shorter than a netlink header";
  std::memcpy(&header, request.data(), sizeof header);
  if (!broken_.empty()) return "unusable: " + broken_;
  if (socket_ == nullptr) {  // an Open()ed socket closed after a failure
    std::string error;
    socket_ = OpenConfigured(protocol_, timeout_, &error);
    if (socket_ == nullptr) return error;
    portid_ = mnl_socket_get_portid(socket_);
  }
  if (mnl_socket_sendto(socket_, request.data(), request.size()) < 0) return Fail(Errno("send"));
  // Per dump, not per socket: a host with hundreds of namespaces keeps a socket in each.
  const std::unique_ptr<uint8_t[]> buffer(new uint8_t[kBufferSize]);
  const Datagram empty{{}, header.nlmsg_seq, portid_};
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(socket_, buffer.get(), kBufferSize);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return Fail("receive: no reply within " + std::to_string(timeout_.count()) + " ms");
    }
    if (n < 0) return Fail(Errno("receive"));
    if (n == 0) return Fail("receive: connection closed");
    Datagram datagram = empty;
    datagram.bytes = std::span<const uint8_t>(buffer.get(), static_cast<size_t>(n));
    switch (thunk(handler, datagram)) {
      case Chunk::kMore:
        continue;
      case Chunk::kDone:
        return {};
      case Chunk::kAbandon:
        Fail({});
        return {};
    }
  }
}

std::string DumpSocket::Fail(std::string why) {
  if (!adopted_) {
    mnl_socket_close(socket_);
    socket_ = nullptr;
    portid_ = 0;
  } else if (!Drain()) {
    broken_ = "netlink socket of another namespace still receiving after " +
              std::to_string(kMaxDrainDatagrams) + " datagrams";
  }
  return why;
}

bool DumpSocket::Drain() {
  const int fd = mnl_socket_get_fd(socket_);
  const std::unique_ptr<uint8_t[]> buffer(new uint8_t[kBufferSize]);
  for (int i = 0; i < kMaxDrainDatagrams; ++i) {
    const ssize_t n = recv(fd, buffer.get(), kBufferSize, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    // Anything else, a pending error (ENOBUFS) included, is consumed by the read.
  }
  return false;
}

}  // namespace netstat::netlink
