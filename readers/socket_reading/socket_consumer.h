// The side of a collector that reads sockets. Such a collector does not open a socket
// table of its own: the layer that runs the collectors reads each network namespace once
// per run (SocketReading) and streams every socket to each consumer that wants it; the
// collector's Collect() then publishes what it was handed.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "readers/netns/container_identity.h"
#include "readers/socket_table/socket_table.h"
#include "readers/tcp_iter/tcp_counts.h"

namespace netstat::socket_reading {

// Which sockets a consumer wants: a state mask per inet protocol and family, and unix.
class Interest {
 public:
  Interest& Want(socket_table::Protocol p, socket_table::Family f, uint32_t states) {
    if (p != socket_table::Protocol::kUnix && f != socket_table::Family::kUnix) {
      inet_[Index(p, f)] |= states;
    }
    return *this;
  }
  Interest& WantUnix() {
    unix_ = true;
    return *this;
  }
  // Each TCP connection's smoothed RTT (InetSocket::rtt_us, TcpCounts' port RTT sums):
  // the dump of TCP connections then asks for INET_DIAG_INFO.
  Interest& WantTcpRtt() {
    tcp_rtt_ = true;
    return *this;
  }
  // Every inet socket of every protocol, family and state, and unix: what counting
  // collectors (sockets, process_sockets) want.
  static Interest EverySocket() {
    Interest all;
    all.inet_.fill(socket_table::kAllStates);
    all.unix_ = true;
    return all;
  }
  uint32_t States(socket_table::Protocol p, socket_table::Family f) const {
    return p == socket_table::Protocol::kUnix || f == socket_table::Family::kUnix
               ? 0
               : inet_[Index(p, f)];
  }
  bool unix() const { return unix_; }
  bool tcp_rtt() const { return tcp_rtt_; }

 private:
  static size_t Index(socket_table::Protocol p, socket_table::Family f) {
    return static_cast<size_t>(p) * 2 + static_cast<size_t>(f);
  }
  std::array<uint32_t, 8> inet_{};  // tcp, udp, udplite, raw x ipv4, ipv6
  bool unix_ = false;
  bool tcp_rtt_ = false;
};

// One network namespace as consumers see it.
struct NamespaceView {
  bool own = true;    // the exporter's own namespace: its series carry no netns label
  std::string label;  // the netns label value ("" for the own namespace)
  socket_table::Source source = socket_table::Source::kNetlink;
  // The namespace's inode ("net:[INODE]"), which kernel-side (BPF) data is keyed by;
  // 0 for the own namespace.
  uint64_t inode = 0;
  // Its TCP sockets come from one walk of the whole host (host_pass.h): listeners with
  // every field sock_diag gives (the backlog too), the rest as counts.
  bool walked = false;
  // Its lowest pid (as numbered in the procfs root), through which /proc/PID/net/* of the
  // namespace is read; 0 for the own namespace and for a bind mount without a process.
  int32_t pid = 0;
};

// The other namespaces a run saw (namespaces.mode all), for netstat_namespace_info.
struct NamespacesSeen {
  struct Namespace {
    std::string label;
    uint64_t inode = 0;
    int32_t pid = 0;  // its lowest pid; 0 for a bind mount without a process
    netns::ContainerIdentity identity;
  };
  bool all = false;  // the run read the other namespaces (mode all); else the rest is empty
  std::vector<Namespace> namespaces;  // within namespaces.max, by inode
  uint64_t dropped = 0;               // left out by namespaces.max
};

// The calls of one run, in order:
//   BeginRead
//   for each namespace (the own one first):
//     BeginNamespace
//     for each dump the consumer is interested in:
//       SaveDump, OnInet/OnUnix..., [RestoreDump, OnInet... again when the kernel
//       interrupted the dump and it is read again], EndDump
//     (TCP listeners of both families are dumped before any other TCP socket of the
//      namespace, and ListenersRead marks that point)
//     (with sockets.source bpf or auto, the other TCP sockets of the own namespace may
//      come counted instead: TakesTcpCounts, then OnTcpCounts in place of their OnInet
//      calls, then EndDump for TCP as after a dump)
//     NameInterfaces (after the last dump, while the namespace is still at hand)
//     EndNamespace, or DiscardNamespace when the namespace vanished while it was read
// Only sockets whose state is in the consumer's mask reach it. Never throws.
class SocketConsumer {
 public:
  virtual ~SocketConsumer() = default;

  virtual Interest interest() const = 0;
  virtual void BeginRead() {}
  virtual void BeginNamespace(const NamespaceView& ns) = 0;
  virtual void ListenersRead() {}
  virtual void SaveDump() {}
  virtual void RestoreDump() {}
  virtual void OnInet(const socket_table::InetSocket& s) = 0;
  virtual void OnUnix(const socket_table::UnixSocket&) {}
  // Whether this consumer can take the TCP sockets other than listeners as counts per
  // family and state (counted in the kernel: tcp_iter/) instead of one by one; if so,
  // it appends the ports it wants counted per state (asked after ListenersRead). The
  // counts cover every state but listen, whatever the consumer's mask. A consumer that
  // needs each socket (its inode, its addresses) keeps the default: then the namespace's
  // TCP sockets are dumped by netlink for every consumer, as without BPF.
  virtual bool TakesTcpCounts(std::vector<uint16_t>* /*local_ports*/,
                              std::vector<uint16_t>* /*remote_ports*/) {
    return false;
  }
  virtual void OnTcpCounts(const tcp_iter::TcpCounts&) {}
  // protocol kUnix / family kUnix for the unix dump. A failed dump (!r.ok) may have
  // handed over part of the sockets: undo them here.
  virtual void EndDump(socket_table::Protocol p, socket_table::Family f,
                       const socket_table::DumpResult& r) = 0;
  // `name(index)` names a device of this namespace, as InetSocket::bound_interface
  // numbers it (SocketTable::InterfaceName: asked of the kernel on each call, so ask once
  // per distinct index).
  virtual void NameInterfaces(const std::function<std::string(uint32_t)>& /*name*/) {}
  virtual void EndNamespace() = 0;
  virtual void DiscardNamespace() = 0;
};

}  // namespace netstat::socket_reading
