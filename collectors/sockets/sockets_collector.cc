// sockets collector: `ss -s` and `netstat -a` as counts. The shared socket reading
// (socket_reading/) hands over every socket of each namespace, which is tallied into
// fixed arrays and turned into series when the namespace ends; then
// /proc/net/sockstat{,6} is read for the kernel's own totals (own namespace only).
// A namespace's TCP listeners come first, so connections can be counted per listening
// port: at most max_ports of them per reading (the listeners' cap), lowest ports first.
#include "collectors/sockets/sockets_collector.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <span>
#include <string_view>

#include "collectors/common/family_builder.h"
#include "collectors/sockets/port_rtt.h"
#include "collectors/sockets/socket_tally.h"
#include "collectors/sockets/sockstat_families.h"
#include "readers/socket_reading/socket_consumer.h"
#include "readers/socket_table/socket_table.h"

namespace netstat::sockets {
namespace {

namespace st = socket_table;
using collectors::FamilyBuilder;
using prometheus::MetricType;

constexpr st::Protocol kInetProtocolList[] = {st::Protocol::kTcp, st::Protocol::kUdp,
                                              st::Protocol::kUdpLite, st::Protocol::kRaw};
constexpr st::Family kFamilyList[] = {st::Family::kIpv4, st::Family::kIpv6};
constexpr uint8_t kDatagramStates[] = {st::kEstablished, st::kClose};
// Every TCP state, kEstablished (1) to kNewSynRecv (12).
constexpr uint8_t kTcpStates[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
static_assert(st::kEstablished == 1 && st::kNewSynRecv == 12);
constexpr uint8_t kUnixStates[] = {st::kListen, st::kEstablished, st::kClose};

enum class DumpStatus : uint8_t { kOk, kUnsupported, kFailed };

class SocketsCollector : public collectors::Collector, public socket_reading::SocketConsumer {
 public:
  SocketsCollector(procfs::Root root, std::vector<uint16_t> remote_ports, size_t max_ports,
                   bool rtt)
      : root_(std::move(root)),
        remote_ports_(std::move(remote_ports)),
        max_ports_(max_ports),
        rtt_(rtt) {}

  socket_reading::Interest interest() const override {
    socket_reading::Interest all = socket_reading::Interest::EverySocket();
    return rtt_ ? all.WantTcpRtt() : all;
  }

  void BeginRead() override {
    error_.clear();
    counted_in_kernel_ = false;
    other_sources_.clear();
    families_ = Families{};
    ports_left_ = max_ports_;
    ports_dropped_ = 0;
  }

  void BeginNamespace(const socket_reading::NamespaceView& ns) override {
    ns_ = ns;
    if (ns.own) own_source_ = ns.source;
    ns_counted_in_kernel_ = false;
    listen_ports_.clear();
    tally_.Reset({}, remote_ports_);
    inet_status_.fill(DumpStatus::kOk);
    unix_status_ = DumpStatus::kOk;
    ns_ports_taken_ = 0;
    ns_ports_dropped_ = 0;
  }

  void SaveDump() override {
    tally_.Save();
    saved_listen_ports_ = listen_ports_.size();
  }
  void RestoreDump() override {
    tally_.Restore();
    listen_ports_.resize(saved_listen_ports_);
  }
  void OnInet(const st::InetSocket& s) override {
    if (s.protocol == st::Protocol::kTcp && s.state == st::kListen) {
      listen_ports_.push_back(s.local_port);
    }
    tally_.AddInet(s);
  }
  void ListenersRead() override;
  bool TakesTcpCounts(std::vector<uint16_t>* local, std::vector<uint16_t>* remote) override {
    local->insert(local->end(), listen_ports_.begin(), listen_ports_.end());
    remote->insert(remote->end(), remote_ports_.begin(), remote_ports_.end());
    return true;
  }
  void OnTcpCounts(const tcp_iter::TcpCounts& counts) override {
    if (ns_.own) counted_in_kernel_ = true;
    ns_counted_in_kernel_ = true;
    tally_.AddTcpCounts(counts);
  }
  void OnUnix(const st::UnixSocket& s) override { tally_.AddUnix(s); }
  void EndDump(st::Protocol p, st::Family f, const st::DumpResult& r) override;
  void EndNamespace() override;
  // A namespace that vanished publishes nothing, so its ports leave the cap to the rest.
  void DiscardNamespace() override {
    ports_left_ += ns_ports_taken_;
    ports_dropped_ -= ns_ports_dropped_;
  }

  std::string Collect(std::vector<prometheus::MetricFamily>* out) override {
    families_.sockets.MoveTo(out);
    families_.receive_queue.MoveTo(out);
    families_.send_queue.MoveTo(out);
    families_.local_ports.MoveTo(out);
    families_.remote_ports.MoveTo(out);
    families_.rtt.MoveTo(out);
    // Ports, not series (each port has a series per state); a gauge of this reading.
    FamilyBuilder("netstat_port_connections_dropped_ports",
                  "Listening ports whose connections netstat_port_connections left out of the "
                  "last reading because there were more than listeners.max_listeners.",
                  MetricType::Gauge)
        .Add(static_cast<double>(ports_dropped_))
        .MoveTo(out);
    std::string error = error_;
    PublishSockstat(root_, out, &error);
    FamilyBuilder source(
        "netstat_sockets_source_info",
        "Where socket counts come from: netlink (sock_diag), bpf (TCP sockets other "
        "than listeners counted in the kernel by BPF, the rest by netlink or "
        "/proc/PID/net) or procfs (/proc/net, /proc/PID/net); per namespace.",
        MetricType::Gauge);
    source.Add({{"source", counted_in_kernel_ ? "bpf" : st::SourceName(own_source_)}}, 1);
    for (const auto& [labels, value] : other_sources_) source.Add(labels, value);
    source.MoveTo(out);
    return error;
  }

 private:
  struct Families {
    FamilyBuilder sockets{"netstat_sockets",
                          "Sockets by protocol, family and state (unix sockets also by kind), as "
                          "ss -a would list them.",
                          MetricType::Gauge};
    FamilyBuilder receive_queue{
        "netstat_socket_receive_queue_bytes",
        "Sum of the receive queues (ss Recv-Q) of inet sockets by protocol, family and state. "
        "TCP listeners are left out (their queue counts connections), and time_wait and "
        "new_syn_recv (they have no buffers).",
        MetricType::Gauge};
    FamilyBuilder send_queue{
        "netstat_socket_send_queue_bytes",
        "Sum of the send queues (ss Send-Q) of inet sockets by protocol, family and state. TCP "
        "listeners are left out (their queue counts connections), and time_wait and "
        "new_syn_recv (they have no buffers).",
        MetricType::Gauge};
    FamilyBuilder local_ports{"netstat_port_connections",
                              "TCP sockets (listeners themselves excluded) whose local port has a "
                              "listening socket on any address, by port and state.",
                              MetricType::Gauge};
    FamilyBuilder remote_ports{"netstat_remote_port_connections",
                               "TCP sockets whose remote port is one of sockets.remote_ports in "
                               "the config, by port and state.",
                               MetricType::Gauge};
    PortRttFamilies rtt;
  };

  static size_t Index(st::Protocol p, st::Family f) {
    return static_cast<size_t>(p) * kInetFamilies + static_cast<size_t>(f);
  }

  // The labels of a series of the namespace being read: a foreign one adds netns.
  collectors::Labels WithNamespace(
      std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) const {
    collectors::Labels labels;
    labels.reserve(pairs.size() + 1);  // one allocation for the vector, not two
    for (const auto& [name, value] : pairs) labels.emplace_back(name, value);
    if (!ns_.own) labels.emplace_back("netns", ns_.label);
    return labels;
  }

  // The labels of an inet state's series.
  collectors::Labels InetLabels(st::Protocol p, st::Family f, uint8_t s) const {
    return WithNamespace({{"protocol", st::ProtocolName(p)},
                          {"family", st::FamilyName(f)},
                          {"state", st::StateName(p, s)}});
  }

  // Calls fn(protocol, family, state, counts) for every state of every inet protocol and
  // family whose dump succeeded, in label order. The labels are built (InetLabels) only
  // for a series published: a foreign namespace publishes few of its states.
  template <typename Fn>
  void ForEachInetState(Fn fn) const {
    for (st::Protocol p : kInetProtocolList) {
      for (st::Family f : kFamilyList) {
        if (inet_status_[Index(p, f)] != DumpStatus::kOk) continue;
        const StateCounts& c = tally_.Inet(p, f);
        for (uint8_t s : States(p)) fn(p, f, s, c);
      }
    }
  }
  void PublishSockets();
  void PublishQueues();
  static bool HasQueues(st::Protocol p, uint8_t s);
  void PublishPorts();

  // The states published for a protocol: every named state, so series stay put.
  static std::span<const uint8_t> States(st::Protocol p) {
    if (p != st::Protocol::kTcp) return kDatagramStates;
    return kTcpStates;
  }

  procfs::Root root_;
  std::vector<uint16_t> remote_ports_;
  size_t max_ports_;
  bool rtt_;  // sockets.rtt: live RTT per port

  // The run being read, namespace by namespace; each namespace's series go into
  // families_ when it ends, so one tally serves every namespace.
  std::string error_;
  Families families_;
  st::Source own_source_ = st::Source::kProcfs;
  bool counted_in_kernel_ = false;     // this run's own-namespace TCP came from the iterator
  bool ns_counted_in_kernel_ = false;  // and the current namespace's
  // netstat_sockets_source_info of the other namespaces this run.
  std::vector<std::pair<collectors::Labels, double>> other_sources_;
  socket_reading::NamespaceView ns_;
  std::vector<uint16_t> listen_ports_;  // after ListenersRead: the ports tracked, capped
  size_t saved_listen_ports_ = 0;
  size_t ports_left_ = 0;       // of max_ports_, for the namespaces still to come
  uint64_t ports_dropped_ = 0;  // this reading's
  size_t ns_ports_taken_ = 0;   // the namespace being read: taken from ports_left_
  uint64_t ns_ports_dropped_ = 0;
  SocketTally tally_;
  std::array<DumpStatus, kInetProtocols * kInetFamilies> inet_status_{};
  DumpStatus unix_status_ = DumpStatus::kOk;
};

void SocketsCollector::EndDump(st::Protocol p, st::Family f, const st::DumpResult& r) {
  DumpStatus& status = p == st::Protocol::kUnix ? unix_status_ : inet_status_[Index(p, f)];
  if (!r.ok) {
    RestoreDump();  // publish nothing rather than a partial count
    status = DumpStatus::kFailed;
    std::string what = p == st::Protocol::kUnix
                           ? std::string("unix")
                           : std::string(st::ProtocolName(p)) + " " + st::FamilyName(f);
    if (!ns_.own) what = "netns " + ns_.label + ": " + what;
    AddError(&error_, what + ": " + r.error);
  } else if (!r.supported && status == DumpStatus::kOk) {
    status = DumpStatus::kUnsupported;
  }
}

void SocketsCollector::ListenersRead() {
  std::sort(listen_ports_.begin(), listen_ports_.end());
  listen_ports_.erase(std::unique(listen_ports_.begin(), listen_ports_.end()), listen_ports_.end());
  ns_ports_taken_ = std::min(listen_ports_.size(), ports_left_);
  ns_ports_dropped_ = listen_ports_.size() - ns_ports_taken_;
  listen_ports_.resize(ns_ports_taken_);  // the lowest ports stay, as listeners sort by port
  ports_left_ -= ns_ports_taken_;
  ports_dropped_ += ns_ports_dropped_;
  tally_.TrackListenPorts(listen_ports_);
}

void SocketsCollector::EndNamespace() {
  if (!ns_.own) {
    other_sources_.push_back(
        {{{"netns", ns_.label},
          {"source", ns_counted_in_kernel_ ? "bpf" : st::SourceName(ns_.source)}},
         1});
  }
  PublishSockets();
  PublishQueues();
  PublishPorts();
}

// A foreign namespace exports only the states that have sockets: a host with a hundred
// pods must not carry a hundred full sets of zeros.
void SocketsCollector::PublishSockets() {
  FamilyBuilder& b = families_.sockets;
  ForEachInetState([&](st::Protocol p, st::Family f, uint8_t s, const StateCounts& c) {
    if (ns_.own || c.sockets[s] != 0) b.Add(InetLabels(p, f, s), static_cast<double>(c.sockets[s]));
  });
  if (unix_status_ == DumpStatus::kOk) {
    for (size_t kind = 0; kind < kUnixKinds; ++kind) {
      for (uint8_t s : kUnixStates) {
        const uint64_t n = tally_.Unix(kind, s);
        if (!ns_.own && n == 0) continue;
        b.Add(WithNamespace({{"protocol", "unix"},
                             {"family", "unix"},
                             {"state", st::StateName(st::Protocol::kUnix, s)},
                             {"kind", UnixKindName(kind)}}),
              static_cast<double>(n));
      }
    }
  }
}

// Only states whose sockets can hold bytes get queue series. Left out, TCP: listen (its
// queues count connections, not bytes), time_wait and new_syn_recv: these are the
// kernel's minisocks (inet_timewait_sock, request_sock), which have no buffers at all,
// and sock_diag reports their queues as 0 always (inet_twsk_diag_fill,
// inet_req_diag_fill; /proc/net/tcp prints 0 too). Every other state is a full socket
// that can: syn_sent holds its SYN (Send-Q 1) and TCP Fast Open data, close keeps unread
// bytes after a reset, fin_wait2 and close_wait unread ones; UDP and raw sockets queue
// datagrams connected or not.
bool SocketsCollector::HasQueues(st::Protocol p, uint8_t s) {
  return p != st::Protocol::kTcp ||
         (s != st::kListen && s != st::kTimeWait && s != st::kNewSynRecv);
}

void SocketsCollector::PublishQueues() {
  ForEachInetState([&](st::Protocol p, st::Family f, uint8_t s, const StateCounts& c) {
    // Only states that have sockets: 60 series of zeros otherwise, a fifth of a
    // default scrape. A foreign namespace's queues appear only while they hold bytes:
    // most of a pod's are empty most of the time, and its series count against a
    // budget of 30.
    if (!HasQueues(p, s) || c.sockets[s] == 0) return;
    const bool receive = ns_.own || c.receive_queue[s] != 0;
    const bool send = ns_.own || c.send_queue[s] != 0;
    if (!receive && !send) return;
    const collectors::Labels labels = InetLabels(p, f, s);
    if (receive) families_.receive_queue.Add(labels, static_cast<double>(c.receive_queue[s]));
    if (send) families_.send_queue.Add(labels, static_cast<double>(c.send_queue[s]));
  });
}

void SocketsCollector::PublishPorts() {
  auto publish = [&](const PortCounts& counts, FamilyBuilder* b) {
    for (uint16_t port : counts.ports()) {
      for (uint8_t s = st::kEstablished; s < kStates; ++s) {
        const uint64_t n = counts.Count(port, s);
        // established always (own namespace), so a port with no clients reads 0 rather
        // than vanishing
        if (n == 0 && (s != st::kEstablished || !ns_.own)) continue;
        b->Add(WithNamespace({{"protocol", "tcp"},
                              {"port", std::to_string(port)},
                              {"state", st::StateName(st::Protocol::kTcp, s)}}),
               static_cast<double>(n));
      }
    }
  };
  publish(tally_.local_ports(), &families_.local_ports);
  publish(tally_.remote_ports(), &families_.remote_ports);
  if (rtt_)
    families_.rtt.Add(tally_.local_ports(), tally_.remote_ports(), ns_.own ? "" : ns_.label);
}

}  // namespace

std::unique_ptr<collectors::Collector> MakeSocketsCollector(const collectors::Environment& env) {
  return MakeSocketsCollector(env.root, env.config.sockets.remote_ports,
                              env.config.listeners.max_listeners, env.config.sockets.rtt);
}

std::unique_ptr<collectors::Collector> MakeSocketsCollector(const procfs::Root& root,
                                                            std::vector<uint16_t> remote_ports,
                                                            size_t max_ports, bool rtt) {
  return std::make_unique<SocketsCollector>(root, std::move(remote_ports), max_ports, rtt);
}

}  // namespace netstat::sockets
