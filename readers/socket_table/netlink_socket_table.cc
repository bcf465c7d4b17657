#include "readers/socket_table/netlink_socket_table.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "readers/netlink/dump_socket.h"
#include "readers/socket_table/sock_diag_parser.h"

namespace netstat::socket_table {
namespace {

// Bit per protocol/family (bit 0: unix) whose fallback has been logged.
std::atomic<uint32_t> g_logged_fallbacks{0};

// Per bit as above: until when (steady clock, ns) sock_diag is known to have no handler.
// The kernel lacks one in every namespace alike, so in mode all each namespace would pay
// a request and its ENOENT on every scrape (raw_diag is often not built) before reading
// procfs anyway. Asked again after kRecheck, so a module loaded later is taken up.
constexpr int kBits = 1 + 2 * 5;
constexpr std::chrono::nanoseconds kRecheck = std::chrono::minutes(5);
std::array<std::atomic<int64_t>, kBits> g_unsupported_until{};

int FallbackBit(Protocol protocol, Family family) {
  if (protocol == Protocol::kUnix) return 0;
  return 1 + static_cast<int>(protocol) * 2 + static_cast<int>(family);
}

int64_t Now() { return std::chrono::steady_clock::now().time_since_epoch().count(); }

bool KnownUnsupported(int bit) { return Now() < g_unsupported_until[bit].load(); }

void MarkUnsupported(int bit) {
  g_unsupported_until[bit].store(
      Now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(kRecheck).count());
}

}  // namespace

bool SockDiagKnownUnsupported(Protocol protocol, Family family) {
  return KnownUnsupported(FallbackBit(protocol, family));
}

NetlinkSocketTable::NetlinkSocketTable(std::unique_ptr<netlink::DumpSocket> socket,
                                       const procfs::Root& root)
    : socket_(std::move(socket)), fallback_(root) {}

NetlinkSocketTable::~NetlinkSocketTable() = default;

std::unique_ptr<NetlinkSocketTable> NetlinkSocketTable::Open(const procfs::Root& live_root,
                                                             std::string* error) {
  auto socket = netlink::DumpSocket::Open(NETLINK_SOCK_DIAG, error);
  if (!socket) {
    *error = "netlink sock_diag " + *error;
    return nullptr;
  }
  return std::unique_ptr<NetlinkSocketTable>(new NetlinkSocketTable(std::move(socket), live_root));
}

std::unique_ptr<NetlinkSocketTable> NetlinkSocketTable::Adopt(int fd,
                                                              const procfs::Root& fallback_root,
                                                              std::string* error) {
  auto socket = netlink::DumpSocket::Adopt(fd, error);
  if (socket && socket->protocol() != NETLINK_SOCK_DIAG) {
    *error = "adopt: a netlink socket of protocol " + std::to_string(socket->protocol()) +
             ", not NETLINK_SOCK_DIAG";
    socket.reset();
  }
  if (!socket) {
    *error = "netlink sock_diag " + *error;
    return nullptr;
  }
  return std::unique_ptr<NetlinkSocketTable>(
      new NetlinkSocketTable(std::move(socket), fallback_root));
}

template <typename Parse>
DumpResult NetlinkSocketTable::Run(std::span<const uint8_t> request, Parse&& parse) {
  DumpResult result;
  ChunkResult last;
  const std::string failure = socket_->Dump(request, [&](const netlink::Datagram& d) {
    last = parse(d.bytes, d.seq, d.portid);
    result.interrupted |= last.interrupted;
    switch (last.status) {
      case ChunkResult::kMore:
        return netlink::Chunk::kMore;
      case ChunkResult::kDone:
        return netlink::Chunk::kDone;
      case ChunkResult::kError:
        // Whatever is left of a failed dump must not reach the next one.
        if (last.error == ENOENT || last.error == EOPNOTSUPP) return netlink::Chunk::kDone;
        return netlink::Chunk::kAbandon;
      case ChunkResult::kMalformed:
        break;
    }
    return netlink::Chunk::kAbandon;
  });
  auto fail = [&](std::string why) {
    return DumpResult{false, true, std::move(why), result.interrupted};
  };
  if (!failure.empty()) return fail("sock_diag " + failure);
  switch (last.status) {
    case ChunkResult::kMalformed:
      return fail("sock_diag: malformed reply");
    case ChunkResult::kError:
      if (last.error == ENOENT || last.error == EOPNOTSUPP) {
        result.supported = false;  // no handler for this protocol in this kernel
        return result;
      }
      return fail(std::string("sock_diag: ") + std::strerror(last.error));
    default:
      return result;
  }
}

DumpResult NetlinkSocketTable::DumpInet(Protocol protocol, Family family, uint32_t states,
                                        const std::function<void(const InetSocket&)>& visit) {
  if (protocol == Protocol::kUnix) return DumpResult{false, true, "not an inet protocol", false};
  if (KnownUnsupported(FallbackBit(protocol, family))) {
    return fallback_.DumpInet(protocol, family, states, visit);
  }
  uint8_t request[kMaxRequestSize];
  const size_t length =
      BuildInetDumpRequest(request, socket_->NextSeq(), protocol, family, states, tcp_info_);
  // raw_diag ignores idiag_states, so the mask is applied here for every protocol.
  const InetVisitor filtered = [&](const InetSocket& s) {
    if (s.state < 32 && (states & StateBit(s.state))) visit(s);
  };
  DumpResult result = Run(std::span<const uint8_t>(request, length),
                          [&](std::span<const uint8_t> bytes, uint32_t seq, uint32_t portid) {
                            return ParseInetChunk(bytes, seq, portid, protocol, filtered);
                          });
  if (result.ok && !result.supported) return Fallback(protocol, family, states, visit);
  return result;
}

bool NetlinkSocketTable::DumpInetBothFamilies(Protocol protocol, uint32_t states,
                                              const std::function<void(const InetSocket&)>& visit,
                                              DumpResult* result) {
  if (protocol != Protocol::kTcp || both_families_refused_) return false;
  uint8_t request[kMaxRequestSize];
  const size_t length =
      BuildTcpDumpRequestBothFamilies(request, socket_->NextSeq(), states, tcp_info_);
  const InetVisitor filtered = [&](const InetSocket& s) {
    if (s.state < 32 && (states & StateBit(s.state))) visit(s);
  };
  *result = Run(std::span<const uint8_t>(request, length),
                [&](std::span<const uint8_t> bytes, uint32_t seq, uint32_t portid) {
                  return ParseInetChunk(bytes, seq, portid, protocol, filtered, TCPDIAG_GETSOCK);
                });
  if (result->ok && !result->supported) {  // nothing was visited: dump each family
    both_families_refused_ = true;
    return false;
  }
  return true;
}

DumpResult NetlinkSocketTable::DumpUnix(const std::function<void(const UnixSocket&)>& visit) {
  if (KnownUnsupported(0)) return fallback_.DumpUnix(visit);
  uint8_t request[kMaxRequestSize];
  const size_t length = BuildUnixDumpRequest(request, socket_->NextSeq());
  DumpResult result = Run(std::span<const uint8_t>(request, length),
                          [&](std::span<const uint8_t> bytes, uint32_t seq, uint32_t portid) {
                            return ParseUnixChunk(bytes, seq, portid, visit);
                          });
  if (result.ok && !result.supported) {
    MarkUnsupported(0);
    if (!(g_logged_fallbacks.fetch_or(1u) & 1u)) {
      spdlog::info("sock_diag has no unix_diag here; reading net/unix from procfs instead");
    }
    return fallback_.DumpUnix(visit);
  }
  return result;
}

std::string NetlinkSocketTable::InterfaceName(uint32_t index) {
  ifreq request{};
  request.ifr_ifindex = static_cast<int>(index);
  const int fd = socket_->fd();
  if (fd < 0 || ioctl(fd, SIOCGIFNAME, &request) != 0) return SocketTable::InterfaceName(index);
  return std::string(request.ifr_name, strnlen(request.ifr_name, sizeof request.ifr_name));
}

DumpResult NetlinkSocketTable::Fallback(Protocol protocol, Family family, uint32_t states,
                                        const std::function<void(const InetSocket&)>& visit) {
  MarkUnsupported(FallbackBit(protocol, family));
  const uint32_t bit = 1u << FallbackBit(protocol, family);
  DumpResult result = fallback_.DumpInet(protocol, family, states, visit);
  // The kernel lacks it in every namespace alike: one line per process, not per table.
  if (result.supported && !(g_logged_fallbacks.fetch_or(bit) & bit)) {
    spdlog::info("sock_diag does not support {} over {}; reading net/{} from procfs instead",
                 ProtocolName(protocol), FamilyName(family), ProcNetFile(protocol, family));
  }
  return result;
}

}  // namespace netstat::socket_table
