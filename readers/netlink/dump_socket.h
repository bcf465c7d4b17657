// The one netlink request-and-dump loop, used by the sock_diag socket table and the
// rtnetlink route dump: send a request, then recv() datagrams into one buffer allocated
// for the dump (not kept with the socket: a host with hundreds of namespaces keeps a
// socket in each) and hand each to the caller until it has read the end of the reply. EINTR is
// retried; a reply that stalls for the receive timeout is abandoned.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <type_traits>

struct mnl_socket;

namespace netstat::netlink {

// One received datagram of the reply, with what the walk needs to tell our messages
// from stale ones (see WalkReply in reply_walk.h).
struct Datagram {
  std::span<const uint8_t> bytes;  // valid until the handler returns
  uint32_t seq;                    // the request's nlmsg_seq
  uint32_t portid;                 // this socket's port: the kernel addresses replies to it
};

// What the handler tells the loop after one datagram.
enum class Chunk : uint8_t {
  kMore,     // the reply goes on: receive the next datagram
  kDone,     // the end of the reply was read (NLMSG_DONE, NLMSG_ERROR): the socket is clean
  kAbandon,  // stop; whatever is left of this reply must not reach the next dump
};

// A netlink socket for dumps: a receive timeout, a roomy receive buffer, its own sequence
// numbers. One instance serves one thread at a time.
//
// After a failure (send or receive error, timeout, or a handler's kAbandon) the rest of
// the reply must not reach the next dump. An Open()ed socket is closed and reopened by
// the next Dump(), with a new port. An Adopt()ed socket may belong to another network
// namespace, where this thread cannot create a new one: it is drained instead (read
// without waiting until empty); should that not empty it, the socket is broken and every
// later Dump() says so. Messages that still arrive late carry an old sequence number and
// are skipped by WalkReply.
class DumpSocket {
 public:
  static constexpr std::chrono::milliseconds kDefaultTimeout{10'000};
  // recv() buffer: the kernel fills at most ~32 KiB per datagram of a dump.
  static constexpr size_t kBufferSize = 64 * 1024;
  // SO_RCVBUF(FORCE): room to keep the kernel from pausing between our reads.
  static constexpr int kSocketBuffer = 1 << 20;

  // socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol) in this thread's network
  // namespace, configured and bound. nullptr with *error ("socket: ...", "bind: ...").
  static std::unique_ptr<DumpSocket> Open(int protocol, std::string* error);
  // Takes over `fd`, an AF_NETLINK socket created elsewhere (for example inside another
  // network namespace, to which it stays bound), and configures it the same way; binds it
  // unless it is bound already. Takes ownership: fd is closed on failure too.
  static std::unique_ptr<DumpSocket> Adopt(int fd, std::string* error);
  ~DumpSocket();
  DumpSocket(const DumpSocket&) = delete;
  DumpSocket& operator=(const DumpSocket&) = delete;

  int protocol() const { return protocol_; }  // NETLINK_ROUTE, NETLINK_SOCK_DIAG, ...
  // The socket's fd, for ioctls answered in its network namespace (SIOCGIFNAME); -1
  // while an Open()ed socket is closed after a failure (the next Dump() reopens it).
  int fd() const;
  bool adopted() const { return adopted_; }
  // The sequence number for the next request.
  uint32_t NextSeq() { return ++seq_; }
  // Replaces kDefaultTimeout: the longest wait for one datagram. False if refused.
  bool SetReceiveTimeout(std::chrono::milliseconds timeout);

  // Sends `request` (one netlink message, its nlmsg_seq from NextSeq()) and calls
  // `handler(const Datagram&) -> Chunk` for each datagram received until it returns
  // kDone or kAbandon. Returns "" then (the handler's own state says what the reply
  // held), else why the exchange failed: "send: ...", "receive: ..." (a timeout
  // included), what Open() would say when a closed socket cannot be reopened, or
  // "unusable: ..." for a broken adopted socket. Allocates nothing per datagram.
  template <typename Handler>
  std::string Dump(std::span<const uint8_t> request, Handler&& handler) {
    using H = std::remove_reference_t<Handler>;
    return Run(
        request, [](void* h, const Datagram& d) { return (*static_cast<H*>(h))(d); },
        const_cast<void*>(static_cast<const void*>(&handler)));
  }

 private:
  using Thunk = Chunk (*)(void* handler, const Datagram& datagram);
  DumpSocket(mnl_socket* socket, int protocol, bool adopted);
  static bool Configure(mnl_socket* socket, std::chrono::milliseconds timeout, std::string* error);
  static mnl_socket* OpenConfigured(int protocol, std::chrono::milliseconds timeout,
                                    std::string* error);
  std::string Run(std::span<const uint8_t> request, Thunk thunk, void* handler);
  // After a failure: close (Open()ed) or drain (adopted). Returns `why`.
  std::string Fail(std::string why);
  bool Drain();

  mnl_socket* socket_;  // nullptr: an Open()ed socket closed after a failure
  int protocol_;
  bool adopted_;
  uint32_t portid_ = 0;
  uint32_t seq_;
  std::chrono::milliseconds timeout_ = kDefaultTimeout;
  std::string broken_;  // an adopted socket that could not be drained: why
};

}  // namespace netstat::netlink
