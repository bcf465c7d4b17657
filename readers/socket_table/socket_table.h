// The shared socket reader used by the sockets and listeners collectors: one pass over
// every socket of a protocol and family, from netlink sock_diag on the live kernel or
// from /proc/net/{tcp,tcp6,udp,udp6,udplite,udplite6,raw,raw6,unix} otherwise.
// Sockets are handed to a visitor one at a time and never stored: a dump of 200k
// sockets allocates nothing per socket.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "readers/procfs/root.h"

namespace netstat::socket_table {

enum class Protocol : uint8_t { kTcp, kUdp, kUdpLite, kRaw, kUnix };
enum class Family : uint8_t { kIpv4, kIpv6, kUnix };

// Kernel TCP state codes (include/net/tcp_states.h); UDP and raw use 1 (connected) and
// 7 (unconnected).
enum TcpState : uint8_t {
  kEstablished = 1,
  kSynSent = 2,
  kSynRecv = 3,
  kFinWait1 = 4,
  kFinWait2 = 5,
  kTimeWait = 6,
  kClose = 7,
  kCloseWait = 8,
  kLastAck = 9,
  kListen = 10,
  kClosing = 11,
  kNewSynRecv = 12,
};
// States 0..12. Bit 13 (TCP_BOUND_INACTIVE, Linux 6.6+) would add TCP sockets that are
// only bound, reported as close: /proc/net/tcp and `ss -a` never list those, so neither
// source does.
constexpr uint32_t kAllStates = (1u << 13) - 1;
constexpr uint32_t StateBit(uint8_t state) { return 1u << state; }

struct InetSocket {
  Protocol protocol;
  Family family;
  uint8_t state;
  uint16_t local_port;   // host byte order
  uint16_t remote_port;  // host byte order
  // Network byte order; IPv4 uses the first 4 bytes, the rest zero.
  std::array<uint8_t, 16> local_address;
  std::array<uint8_t, 16> remote_address;
  uint32_t receive_queue;  // LISTEN: current accept queue
  uint32_t send_queue;     // LISTEN: accept queue limit (backlog) from netlink
  uint32_t uid;
  uint64_t inode;  // 0 for time-wait and request sockets
  // The device the socket is bound to (sk_bound_dev_if: SO_BINDTODEVICE, or the scope of
  // an IPv6 link-local address), an index in the socket's own network namespace; 0 when
  // unbound, and always 0 from /proc/net, which does not show it.
  uint32_t bound_interface;
  // TCP's smoothed round-trip time in microseconds (tcp_info's tcpi_rtt), when the table
  // was asked for it (SetTcpInfo) and the socket has one; else 0.
  uint32_t rtt_us;
};

struct UnixSocket {
  uint8_t type;   // SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET
  uint8_t state;  // kListen, kEstablished (connected) or kClose (unconnected)
  uint32_t receive_queue;
  uint32_t send_queue;
  uint64_t inode;
};

enum class Source : uint8_t { kNetlink, kProcfs };

struct DumpResult {
  bool ok = true;         // false: the dump failed; `error` says why
  bool supported = true;  // false: the kernel lacks this protocol/family (not an error)
  std::string error;
  // The kernel flagged the dump NLM_F_DUMP_INTR: sockets changed under it, so some may
  // be missing or seen twice. DumpInetConsistent retries such dumps.
  bool interrupted = false;
};

class SocketTable {
 public:
  virtual ~SocketTable() = default;
  virtual Source source() const = 0;
  // Visits every socket of protocol/family whose state bit is in `states`.
  virtual DumpResult DumpInet(Protocol protocol, Family family, uint32_t states,
                              const std::function<void(const InetSocket&)>& visit) = 0;
  virtual DumpResult DumpUnix(const std::function<void(const UnixSocket&)>& visit) = 0;
  // The name of device `index` (InetSocket::bound_interface) in the network namespace
  // this table reads, or "if<index>" as `ss` writes a device it cannot name (one gone
  // since, or a table that cannot ask).
  virtual std::string InterfaceName(uint32_t index);
  // Whether TCP dumps from now on carry each socket's smoothed RTT (InetSocket::rtt_us):
  // sock_diag's INET_DIAG_INFO, a struct tcp_info per socket, which makes the dump
  // dearer, so it is asked for only around the dumps that need it. Tables that cannot
  // (/proc/net shows no RTT) ignore it.
  virtual void SetTcpInfo(bool /*on*/) {}
  // Visits every socket of `protocol`, IPv4 and IPv6 alike, in one pass over the kernel's
  // tables, when this table can (sock_diag's TCP: one walk of the established hash, which
  // every network namespace shares, instead of one walk per family). Returns false,
  // having visited nothing, when it cannot; the caller then dumps each family.
  // BothFamiliesAtOnce says beforehand whether it will try.
  virtual bool BothFamiliesAtOnce(Protocol /*protocol*/) const { return false; }
  virtual bool DumpInetBothFamilies(Protocol /*protocol*/, uint32_t /*states*/,
                                    const std::function<void(const InetSocket&)>& /*visit*/,
                                    DumpResult* /*result*/) {
    return false;
  }
};

// Netlink when `live_network` (procfs::Site: the tree is a real procfs of this process's
// network namespace) and a sock_diag socket opens; else procfs (a fake tree such as
// tests/fixtures). A protocol the kernel's sock_diag lacks (raw_diag not built, say) is
// read from procfs.
std::unique_ptr<SocketTable> OpenSocketTable(const procfs::Root& root, bool live_network);

// DumpInet, run again (at most kMaxDumpAttempts in all) while the kernel reports the
// dump interrupted. `restart` runs before each new attempt so the caller can drop what
// the interrupted attempt counted. The last attempt's result is returned as it is.
constexpr int kMaxDumpAttempts = 3;
DumpResult DumpInetConsistent(SocketTable& table, Protocol protocol, Family family, uint32_t states,
                              const std::function<void()>& restart,
                              const std::function<void(const InetSocket&)>& visit);

const char* SourceName(Source s);  // "netlink", "procfs"

// Label values as SPEC names them.
const char* ProtocolName(Protocol p);  // "tcp", "udp", "udplite", "raw", "unix"
const char* FamilyName(Family f);      // "ipv4", "ipv6", "unix"
// TCP: "established" ... "new_syn_recv"; UDP/raw: "established" / "unconnected";
// unix: "listen" / "connected" / "unconnected". nullptr for an unknown code.
const char* StateName(Protocol p, uint8_t state);
// Address as `ss -n` prints it, without brackets: "0.0.0.0", "::", "::1", "::ffff:1.2.3.4".
std::string FormatAddress(Family f, const std::array<uint8_t, 16>& address);

}  // namespace netstat::socket_table
