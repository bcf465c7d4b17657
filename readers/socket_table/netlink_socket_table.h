// The socket table of a live kernel: NETLINK_SOCK_DIAG dumps, one per protocol and
// family (inet_diag for tcp/udp/udplite/raw, unix_diag for unix), through the shared
// netlink::DumpSocket, whose one buffer is reused for every reply and decoded in place:
// nothing is allocated per socket. A protocol sock_diag lacks is read from /proc/net
// instead. The namespace read is the one the sock_diag socket was created in: this
// thread's (Open) or another (Adopt).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "readers/socket_table/procfs_socket_table.h"
#include "readers/socket_table/socket_table.h"

namespace netstat::netlink {
class DumpSocket;
}

namespace netstat::socket_table {

// Whether sock_diag answered "no handler" for (protocol, family) lately, so that every
// table of the process reads it from procfs without asking (it is asked again after a
// few minutes).
bool SockDiagKnownUnsupported(Protocol protocol, Family family);

class NetlinkSocketTable : public SocketTable {
 public:
  // The table of this thread's network namespace; `live_root` is the procfs whose net/
  // files describe it. nullptr with *error set when no sock_diag socket can be opened.
  static std::unique_ptr<NetlinkSocketTable> Open(const procfs::Root& live_root,
                                                  std::string* error);
  // A table reading another network namespace: `fd` is a NETLINK_SOCK_DIAG socket
  // created inside that namespace (it stays bound to it); `fallback_root` is the procfs
  // root whose net/ files describe the same namespace (e.g. procfs::Root("/proc/1234",
  // "")), used for protocols sock_diag lacks. Takes ownership of fd; nullptr with *error
  // on failure. After a failed dump the socket is drained, not reopened (that would land
  // in this thread's namespace).
  // Where protocols sock_diag lacks are read from now on: another namespace's files are
  // reached through a process in it, which may exit while the namespace lives on.
  void SetFallbackRoot(const procfs::Root& root) { fallback_ = ProcfsSocketTable(root); }

  static std::unique_ptr<NetlinkSocketTable> Adopt(int fd, const procfs::Root& fallback_root,
                                                   std::string* error);
  ~NetlinkSocketTable() override;

  Source source() const override { return Source::kNetlink; }
  DumpResult DumpInet(Protocol protocol, Family family, uint32_t states,
                      const std::function<void(const InetSocket&)>& visit) override;
  DumpResult DumpUnix(const std::function<void(const UnixSocket&)>& visit) override;
  // SIOCGIFNAME on the sock_diag socket: the kernel answers in the namespace the socket
  // was created in, so another namespace's devices get their names there, with no setns.
  std::string InterfaceName(uint32_t index) override;
  void SetTcpInfo(bool on) override { tcp_info_ = on; }
  bool BothFamiliesAtOnce(Protocol protocol) const override {
    return protocol == Protocol::kTcp && !both_families_refused_;
  }
  bool DumpInetBothFamilies(Protocol protocol, uint32_t states,
                            const std::function<void(const InetSocket&)>& visit,
                            DumpResult* result) override;

 private:
  NetlinkSocketTable(std::unique_ptr<netlink::DumpSocket> socket, const procfs::Root& root);
  // Sends `request` and feeds every reply datagram to `parse(bytes, seq, portid)` until
  // the dump ends.
  template <typename Parse>
  DumpResult Run(std::span<const uint8_t> request, Parse&& parse);
  // The fallback for a protocol/family sock_diag does not support; logs it once.
  DumpResult Fallback(Protocol protocol, Family family, uint32_t states,
                      const std::function<void(const InetSocket&)>& visit);

  std::unique_ptr<netlink::DumpSocket> socket_;
  ProcfsSocketTable fallback_;
  bool both_families_refused_ = false;  // the kernel answered TCPDIAG_GETSOCK with ENOENT
  bool tcp_info_ = false;               // TCP requests ask for INET_DIAG_INFO
};

}  // namespace netstat::socket_table
