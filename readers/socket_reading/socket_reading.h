// One reading of the kernel's sockets per run, shared by every collector that reads
// sockets (sockets, listeners, and the ones to come). Each (namespace, protocol, family)
// is asked for once per run, with the union of the states the consumers want, and every
// socket is streamed to each consumer that wants it: nothing is stored per socket.
//
// TCP is asked for in two requests with disjoint state masks, listeners first: the
// kernel walks its listening hash for the first and its established hash for the second,
// so no socket is read twice, and consumers know a namespace's listening ports before
// they see its connections (netstat_port_connections needs that).
//
// With `namespaces: {mode: all}` every other network namespace of the host is read too
// (namespace_tables.h); the own namespace always comes first.
//
// `sockets: {source: bpf|auto}` replaces the second TCP request of the own namespace,
// the costly one (one netlink message per connection), by one count in the kernel by
// BPF (tcp_iter/: a walk of the established hash, or iter/tcp), when every consumer of
// those sockets takes counts;
// auto does so only from the counter's AutoCrossover() TCP sockets on (/proc/net/sockstat).
// Other namespaces, other protocols and TCP listeners stay on netlink.
//
// With namespaces.mode all and sockets.source bpf (or auto, when there is another
// namespace to read), one walk of the host's TCP hashes (host_pass.h) gives the TCP
// listeners and counts of every namespace, the own one included, in place of each
// namespace's two TCP dumps; its UDP and raw sockets too where the walk read them
// completely. Unix sockets are dumped only in the namespaces whose unix table the walk
// did not find empty.
#pragma once

#include <memory>
#include <vector>

#include "config/config.h"
#include "readers/procfs/root.h"
#include "readers/socket_reading/host_pass.h"
#include "readers/socket_reading/socket_consumer.h"
#include "readers/socket_table/socket_table.h"
#include "readers/tcp_iter/host_counts.h"
#include "readers/tcp_iter/tcp_counts.h"

namespace netstat::socket_reading {

class NamespaceTables;

class SocketReading {
 public:
  // The own namespace only, through `own` (a test's table, say); with `counter`, its TCP
  // sockets other than listeners are counted by it (source bpf).
  explicit SocketReading(std::unique_ptr<socket_table::SocketTable> own,
                         std::shared_ptr<tcp_iter::TcpCounter> counter = nullptr);
  // The own namespace by netlink on the live kernel (`site.live_network`), else from
  // <procfs>/net; every other namespace too when namespaces.mode is all. `tcp_counts`:
  // a collector that takes TCP counts (sockets) is enabled, so sockets.source bpf|auto
  // loads the BPF counting programs (once per process; nothing is loaded for the others).
  static std::unique_ptr<SocketReading> Open(const procfs::Root& root, const procfs::Site& site,
                                             const config::Config& config, bool tcp_counts = true);
  ~SocketReading();

  SocketReading(const SocketReading&) = delete;
  SocketReading& operator=(const SocketReading&) = delete;

  // One run for `consumers`. With namespaces.mode all and `seen` given, says there which
  // other namespaces the run saw.
  void Read(const std::vector<SocketConsumer*>& consumers, NamespacesSeen* seen = nullptr);

  // The walker of the whole host (Open loads the kernel's in mode all; a test gives a fake).
  void set_host_counter(std::shared_ptr<tcp_iter::HostCounter> host) { host_ = std::move(host); }

 private:
  SocketReading(std::unique_ptr<socket_table::SocketTable> own,
                std::unique_ptr<NamespaceTables> others);
  // This run's counter for the own namespace, or nullptr for netlink.
  tcp_iter::TcpCounter* ChooseCounter();
  // Whether the own namespace's TCP is counted in the kernel this run (auto: from
  // `crossover` sockets in /proc/net/sockstat, with hysteresis; bpf: always); logs a change.
  bool OwnInKernel(uint64_t crossover);
  // This run's walk of the whole host, when it is wanted and every consumer takes counts.
  void WalkHost(const std::vector<SocketConsumer*>& consumers);

  std::unique_ptr<socket_table::SocketTable> own_;
  std::unique_ptr<NamespaceTables> others_;        // null in mode own
  std::shared_ptr<tcp_iter::TcpCounter> counter_;  // null: netlink only
  tcp_iter::SourceMode mode_ = tcp_iter::SourceMode::kBpf;
  std::string procfs_;  // for /proc/net/sockstat in auto mode
  bool last_used_counter_ = false;
  std::shared_ptr<tcp_iter::HostCounter> host_;  // null: no walk of the whole host
  HostPass pass_;                                // this run's walk
  bool last_walked_ = false;
};

// Runs one namespace's dumps for `consumers` (all of whom have had BeginNamespace), in
// the order SocketConsumer describes. Returns false, without EndDump for the rest, when
// `gone()` says the namespace vanished after a dump failed; the caller then discards it.
// With `counter`, TCP sockets other than listeners are counted by it when the consumers
// allow (netlink when they do not or when it fails). With `walked` (the namespace in a
// walk of the host), its TCP listeners, and its UDP, UDP-Lite and raw sockets when the
// walk read them completely, are the walk's instead of a dump.
bool ReadNamespace(socket_table::SocketTable& table, const std::vector<SocketConsumer*>& consumers,
                   const std::function<bool()>& gone, tcp_iter::TcpCounter* counter = nullptr,
                   const tcp_iter::HostNamespace* walked = nullptr);

}  // namespace netstat::socket_reading
