#include "readers/socket_table/socket_table.h"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include "readers/socket_table/netlink_socket_table.h"
#include "readers/socket_table/procfs_socket_table.h"

namespace netstat::socket_table {

std::unique_ptr<SocketTable> OpenSocketTable(const procfs::Root& root, bool live_network) {
  if (live_network) {
    std::string error;
    if (auto table = NetlinkSocketTable::Open(root, &error)) return table;
    spdlog::warn("{}; reading sockets from {}/net instead", error, root.procfs());
  }
  return std::make_unique<ProcfsSocketTable>(root);
}

DumpResult DumpInetConsistent(SocketTable& table, Protocol protocol, Family family, uint32_t states,
                              const std::function<void()>& restart,
                              const std::function<void(const InetSocket&)>& visit) {
  DumpResult result;
  for (int attempt = 1; attempt <= kMaxDumpAttempts; ++attempt) {
    if (attempt > 1) restart();
    result = table.DumpInet(protocol, family, states, visit);
    if (!result.ok || !result.interrupted) break;
  }
  return result;
}

std::string SocketTable::InterfaceName(uint32_t index) { return "if" + std::to_string(index); }

const char* SourceName(Source s) { return s == Source::kNetlink ? "netlink" : "procfs"; }

const char* ProtocolName(Protocol p) {
  switch (p) {
    case Protocol::kTcp:
      return "tcp";
    case Protocol::kUdp:
      return "udp";
    case Protocol::kUdpLite:
      return "udplite";
    case Protocol::kRaw:
      return "raw";
    case Protocol::kUnix:
      return "unix";
  }
  return "unknown";
}

const char* FamilyName(Family f) {
  switch (f) {
    case Family::kIpv4:
      return "ipv4";
    case Family::kIpv6:
      return "ipv6";
    case Family::kUnix:
      return "unix";
  }
  return "unknown";
}

const char* StateName(Protocol p, uint8_t state) {
  static constexpr const char* kTcpStates[] = {
      nullptr, "established", "syn_sent", "syn_recv", "fin_wait1", "fin_wait2",    "time_wait",
      "close", "close_wait",  "last_ack", "listen",   "closing",   "new_syn_recv",
  };
  switch (p) {
    case Protocol::kTcp:
      return state < std::size(kTcpStates) ? kTcpStates[state] : nullptr;
    case Protocol::kUnix:
      return state == kListen        ? "listen"
             : state == kEstablished ? "connected"
             : state == kClose       ? "unconnected"
                                     : nullptr;
    default:
      return state == kEstablished ? "established" : state == kClose ? "unconnected" : nullptr;
  }
}

std::string FormatAddress(Family f, const std::array<uint8_t, 16>& address) {
  char text[INET6_ADDRSTRLEN] = {};
  const int af = f == Family::kIpv6 ? AF_INET6 : AF_INET;
  if (f == Family::kUnix || inet_ntop(af, address.data(), text, sizeof text) == nullptr) {
    return "";
  }
  return text;
}

}  // namespace netstat::socket_table
