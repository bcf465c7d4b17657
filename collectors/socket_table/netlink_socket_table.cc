#include "collectors/socket_table/netlink_socket_table.h"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "collectors/socket_table/sock_diag_parser.h"

namespace netstat::socket_table {
namespace {

// The kernel fills at most ~32 KiB per recv() of a dump; 64 KiB leaves room.
constexpr size_t kBufferSize = 64 * 1024;
// A roomy socket buffer keeps the kernel from pausing between our reads.
constexpr int kSocketBuffer = 1 << 20;
// A dump that stalls this long is abandoned rather than blocking the scrape.
constexpr int kTimeoutSeconds = 10;

}  // namespace

NetlinkSocketTable::NetlinkSocketTable(const procfs::Root& live_root)
    : buffer_(new uint8_t[kBufferSize]), fallback_(live_root) {}

NetlinkSocketTable::~NetlinkSocketTable() { Disconnect(); }

std::unique_ptr<NetlinkSocketTable> NetlinkSocketTable::Open(const procfs::Root& live_root,
                                                             std::string* error) {
  std::unique_ptr<NetlinkSocketTable> table(new NetlinkSocketTable(live_root));
  if (!table->Connect(error)) return nullptr;
  return table;
}

std::unique_ptr<NetlinkSocketTable> NetlinkSocketTable::Adopt(int fd,
                                                              const procfs::Root& fallback_root,
                                                              std::string* error) {
  std::unique_ptr<NetlinkSocketTable> table(new NetlinkSocketTable(fallback_root));
  table->socket_ = mnl_socket_fdopen(fd);
  if (table->socket_ == nullptr) {
    *error = std::string("netlink sock_diag socket: ") + std::strerror(errno);
    close(fd);
    return nullptr;
  }
  table->portid_ = mnl_socket_get_portid(table->socket_);
  return table;
}

bool NetlinkSocketTable::Connect(std::string* error) {
  socket_ = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
  if (socket_ == nullptr) {
    *error = std::string("netlink sock_diag socket: ") + std::strerror(errno);
    return false;
  }
  const int fd = mnl_socket_get_fd(socket_);
  // SO_RCVBUFFORCE passes rmem_max when we may (root); plain SO_RCVBUF otherwise.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kSocketBuffer, sizeof kSocketBuffer) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kSocketBuffer, sizeof kSocketBuffer);
  }
  timeval timeout{kTimeoutSeconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (mnl_socket_bind(socket_, 0, MNL_SOCKET_AUTOPID) < 0) {
    *error = std::string("netlink sock_diag bind: ") + std::strerror(errno);
    Disconnect();
    return false;
  }
  portid_ = mnl_socket_get_portid(socket_);
  return true;
}

void NetlinkSocketTable::Disconnect() {
  if (socket_ != nullptr) mnl_socket_close(socket_);
  socket_ = nullptr;
}

template <typename Parse>
DumpResult NetlinkSocketTable::Run(const uint8_t* request, size_t length, Parse&& parse) {
  DumpResult result;
  std::string error;
  if (socket_ == nullptr && !Connect(&error)) return DumpResult{false, true, error, false};
  auto fail = [&](std::string why) {
    // Whatever is left of this dump must not reach the next one: start afresh.
    Disconnect();
    return DumpResult{false, true, std::move(why), result.interrupted};
  };
  if (mnl_socket_sendto(socket_, request, length) < 0) {
    return fail(std::string("sock_diag send: ") + std::strerror(errno));
  }
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(socket_, buffer_.get(), kBufferSize);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(std::string("sock_diag receive: ") + std::strerror(errno));
    if (n == 0) return fail("sock_diag receive: connection closed");
    ChunkResult chunk = parse(std::span<const uint8_t>(buffer_.get(), static_cast<size_t>(n)));
    result.interrupted |= chunk.interrupted;
    switch (chunk.status) {
      case ChunkResult::kMore:
        continue;
      case ChunkResult::kDone:
        return result;
      case ChunkResult::kMalformed:
        return fail("sock_diag: malformed reply");
      case ChunkResult::kError:
        if (chunk.error == ENOENT || chunk.error == EOPNOTSUPP) {
          result.supported = false;  // no handler for this protocol in this kernel
          return result;
        }
        return fail(std::string("sock_diag: ") + std::strerror(chunk.error));
    }
  }
}

DumpResult NetlinkSocketTable::DumpInet(Protocol protocol, Family family, uint32_t states,
                                        const std::function<void(const InetSocket&)>& visit) {
  if (protocol == Protocol::kUnix) return DumpResult{false, true, "not an inet protocol", false};
  uint8_t request[kMaxRequestSize];
  const uint32_t seq = ++seq_;
  const size_t length = BuildInetDumpRequest(request, seq, protocol, family, states);
  // raw_diag ignores idiag_states, so the mask is applied here for every protocol.
  const InetVisitor filtered = [&](const InetSocket& s) {
    if (s.state < 32 && (states & StateBit(s.state))) visit(s);
  };
  DumpResult result = Run(request, length, [&](std::span<const uint8_t> bytes) {
    return ParseInetChunk(bytes, seq, portid_, protocol, filtered);
  });
  if (result.ok && !result.supported) return Fallback(protocol, family, states, visit);
  return result;
}

DumpResult NetlinkSocketTable::DumpUnix(const std::function<void(const UnixSocket&)>& visit) {
  uint8_t request[kMaxRequestSize];
  const uint32_t seq = ++seq_;
  const size_t length = BuildUnixDumpRequest(request, seq);
  DumpResult result = Run(request, length, [&](std::span<const uint8_t> bytes) {
    return ParseUnixChunk(bytes, seq, portid_, visit);
  });
  if (result.ok && !result.supported) {
    if (!(logged_fallbacks_ & 1u)) {
      spdlog::info("sock_diag has no unix_diag here; reading /proc/net/unix instead");
      logged_fallbacks_ |= 1u;
    }
    return fallback_.DumpUnix(visit);
  }
  return result;
}

DumpResult NetlinkSocketTable::Fallback(Protocol protocol, Family family, uint32_t states,
                                        const std::function<void(const InetSocket&)>& visit) {
  const uint32_t bit = 1u << (1 + static_cast<int>(protocol) * 2 + static_cast<int>(family));
  DumpResult result = fallback_.DumpInet(protocol, family, states, visit);
  if (!(logged_fallbacks_ & bit) && result.supported) {
    spdlog::info("sock_diag does not support {} over {}; reading /proc/net/{} instead",
                 ProtocolName(protocol), FamilyName(family), ProcNetFile(protocol, family));
  }
  logged_fallbacks_ |= bit;
  return result;
}

}  // namespace netstat::socket_table
