// The live socket table: NETLINK_SOCK_DIAG dumps through libmnl, one per protocol and
// family (inet_diag for tcp/udp/udplite/raw, unix_diag for unix). Replies are read
// into one buffer allocated at open and decoded in place; nothing is allocated per
// socket. A protocol sock_diag lacks is read from /proc/net instead.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "collectors/socket_table/procfs_socket_table.h"
#include "collectors/socket_table/socket_table.h"

struct mnl_socket;

namespace netstat::socket_table {

class NetlinkSocketTable : public SocketTable {
 public:
  // nullptr with *error set when no sock_diag socket can be opened.
  static std::unique_ptr<NetlinkSocketTable> Open(const procfs::Root& live_root,
                                                  std::string* error);
  // A table of another network namespace: `fd` is a NETLINK_SOCK_DIAG socket created
  // inside it; `fallback_root` is a procfs root whose net/ files describe that namespace.
  static std::unique_ptr<NetlinkSocketTable> Adopt(int fd, const procfs::Root& fallback_root,
                                                   std::string* error);
  ~NetlinkSocketTable() override;

  Source source() const override { return Source::kNetlink; }
  DumpResult DumpInet(Protocol protocol, Family family, uint32_t states,
                      const std::function<void(const InetSocket&)>& visit) override;
  DumpResult DumpUnix(const std::function<void(const UnixSocket&)>& visit) override;

 private:
  explicit NetlinkSocketTable(const procfs::Root& live_root);
  bool Connect(std::string* error);
  void Disconnect();
  // Sends `request` and feeds every reply buffer to `parse` until the dump ends.
  template <typename Parse>
  DumpResult Run(const uint8_t* request, size_t length, Parse&& parse);
  // The fallback for a protocol/family sock_diag does not support; logs it once.
  DumpResult Fallback(Protocol protocol, Family family, uint32_t states,
                      const std::function<void(const InetSocket&)>& visit);

  mnl_socket* socket_ = nullptr;
  uint32_t portid_ = 0;
  uint32_t seq_ = 0;
  std::unique_ptr<uint8_t[]> buffer_;
  ProcfsSocketTable fallback_;
  uint32_t logged_fallbacks_ = 0;  // bit per protocol/family already logged
};

}  // namespace netstat::socket_table
