// sockets collector: `ss -s` and `netstat -a` as counts. One socket-table dump per
// protocol and family (netlink sock_diag, or /proc/net/{tcp,udp,...,unix}) is tallied
// into fixed arrays, then /proc/net/sockstat{,6} is read for the kernel's own totals.
// TCP listeners are dumped first so connections can be counted per listening port.
#include "collectors/sockets/sockets_collector.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <set>

#include "collectors/common/family_builder.h"
#include "collectors/socket_table/socket_table.h"
#include "collectors/sockets/socket_tally.h"
#include "collectors/sockets/sockstat_parser.h"

namespace netstat::sockets {
namespace {

namespace st = socket_table;
using collectors::FamilyBuilder;
using prometheus::MetricType;

constexpr st::Protocol kInetProtocolList[] = {st::Protocol::kTcp, st::Protocol::kUdp,
                                              st::Protocol::kUdpLite, st::Protocol::kRaw};
constexpr st::Family kFamilyList[] = {st::Family::kIpv4, st::Family::kIpv6};
constexpr uint8_t kDatagramStates[] = {st::kEstablished, st::kClose};
constexpr uint8_t kUnixStates[] = {st::kListen, st::kEstablished, st::kClose};

enum class DumpStatus : uint8_t { kOk, kUnsupported, kFailed };

void AddError(std::string* error, const std::string& what) {
  if (!error->empty()) error->append("; ");
  error->append(what);
}

// Logs the source once per process, and again only when it changes (e.g. on reload
// with another --path.procfs).
void LogSource(st::Source source, const std::string& procfs) {
  static std::atomic<int> logged{-1};
  if (logged.exchange(static_cast<int>(source)) == static_cast<int>(source)) return;
  if (source == st::Source::kNetlink) {
    spdlog::info("sockets: reading sockets through netlink sock_diag");
  } else {
    spdlog::info("sockets: reading sockets from {}/net (procfs)", procfs);
  }
}

class SocketsCollector : public collectors::Collector {
 public:
  SocketsCollector(procfs::Root root, std::vector<uint16_t> remote_ports,
                   std::unique_ptr<st::SocketTable> table)
      : root_(std::move(root)),
        remote_ports_(std::move(remote_ports)),
        table_(std::move(table)),
        page_size_(static_cast<uint64_t>(sysconf(_SC_PAGESIZE))) {}

  std::string Collect(std::vector<prometheus::MetricFamily>* out) override {
    std::string error;
    CollectListenPorts(&error);
    tally_.Reset(listen_ports_, remote_ports_);
    for (st::Protocol p : kInetProtocolList) {
      for (st::Family f : kFamilyList) DumpInet(p, f, &error);
    }
    DumpUnix(&error);
    PublishSockets(out);
    PublishQueues(out);
    PublishPorts(out);
    PublishSockstat(out, &error);
    FamilyBuilder("netstat_sockets_source_info",
                  "Where socket counts come from: netlink (sock_diag) or procfs (/proc/net).",
                  MetricType::Gauge)
        .Add({{"source", st::SourceName(table_->source())}}, 1)
        .MoveTo(out);
    return error;
  }

 private:
  static size_t Index(st::Protocol p, st::Family f) {
    return static_cast<size_t>(p) * kInetFamilies + static_cast<size_t>(f);
  }

  void CollectListenPorts(std::string* error) {
    listen_ports_.clear();
    for (st::Family f : kFamilyList) {
      const size_t start = listen_ports_.size();
      st::DumpResult r = st::DumpInetConsistent(
          *table_, st::Protocol::kTcp, f, st::StateBit(st::kListen),
          [&] { listen_ports_.resize(start); },
          [&](const st::InetSocket& s) { listen_ports_.push_back(s.local_port); });
      if (!r.ok)
        AddError(error, "tcp listeners " + std::string(st::FamilyName(f)) + ": " + r.error);
    }
  }

  void DumpInet(st::Protocol p, st::Family f, std::string* error) {
    tally_.Save();
    st::DumpResult r = st::DumpInetConsistent(
        *table_, p, f, st::kAllStates, [&] { tally_.Restore(); },
        [&](const st::InetSocket& s) { tally_.AddInet(s); });
    DumpStatus& status = inet_status_[Index(p, f)];
    if (!r.ok) {
      tally_.Restore();  // publish nothing rather than a partial count
      status = DumpStatus::kFailed;
      AddError(error, std::string(st::ProtocolName(p)) + " " + st::FamilyName(f) + ": " + r.error);
    } else {
      status = r.supported ? DumpStatus::kOk : DumpStatus::kUnsupported;
      if (r.interrupted) {
        spdlog::debug("sockets: {} {} dump still interrupted after {} attempts",
                      st::ProtocolName(p), st::FamilyName(f), st::kMaxDumpAttempts);
      }
    }
  }

  void DumpUnix(std::string* error) {
    tally_.Save();
    st::DumpResult r = table_->DumpUnix([&](const st::UnixSocket& s) { tally_.AddUnix(s); });
    if (!r.ok) {
      tally_.Restore();
      AddError(error, "unix: " + r.error);
    }
    unix_status_ = !r.ok         ? DumpStatus::kFailed
                   : r.supported ? DumpStatus::kOk
                                 : DumpStatus::kUnsupported;
  }

  // Calls fn(protocol, state, labels, counts) for every state of every inet protocol and
  // family whose dump succeeded, in label order.
  template <typename Fn>
  void ForEachInetState(Fn fn) const {
    for (st::Protocol p : kInetProtocolList) {
      for (st::Family f : kFamilyList) {
        if (inet_status_[Index(p, f)] != DumpStatus::kOk) continue;
        const StateCounts& c = tally_.Inet(p, f);
        for (uint8_t s : States(p)) {
          fn(p, s,
             collectors::Labels{{"protocol", st::ProtocolName(p)},
                                {"family", st::FamilyName(f)},
                                {"state", st::StateName(p, s)}},
             c);
        }
      }
    }
  }
  void PublishSockets(std::vector<prometheus::MetricFamily>* out) const;
  void PublishQueues(std::vector<prometheus::MetricFamily>* out) const;
  void PublishPorts(std::vector<prometheus::MetricFamily>* out) const;
  void PublishSockstat(std::vector<prometheus::MetricFamily>* out, std::string* error) const;

  // The states published for a protocol: every named state, so series stay put.
  static std::vector<uint8_t> States(st::Protocol p) {
    if (p != st::Protocol::kTcp) return {std::begin(kDatagramStates), std::end(kDatagramStates)};
    std::vector<uint8_t> states;
    for (uint8_t s = st::kEstablished; s <= st::kNewSynRecv; ++s) states.push_back(s);
    return states;
  }

  procfs::Root root_;
  std::vector<uint16_t> remote_ports_;
  std::unique_ptr<st::SocketTable> table_;
  uint64_t page_size_;
  std::vector<uint16_t> listen_ports_;
  SocketTally tally_;
  std::array<DumpStatus, kInetProtocols * kInetFamilies> inet_status_{};
  DumpStatus unix_status_ = DumpStatus::kOk;
};

void SocketsCollector::PublishSockets(std::vector<prometheus::MetricFamily>* out) const {
  FamilyBuilder b("netstat_sockets",
                  "Sockets by protocol, family and state (unix sockets also by kind), as ss "
                  "-a would list them.",
                  MetricType::Gauge);
  ForEachInetState([&](st::Protocol, uint8_t s, const collectors::Labels& labels,
                       const StateCounts& c) { b.Add(labels, static_cast<double>(c.sockets[s])); });
  if (unix_status_ == DumpStatus::kOk) {
    for (size_t kind = 0; kind < kUnixKinds; ++kind) {
      for (uint8_t s : kUnixStates) {
        b.Add({{"protocol", "unix"},
               {"family", "unix"},
               {"state", st::StateName(st::Protocol::kUnix, s)},
               {"kind", UnixKindName(kind)}},
              static_cast<double>(tally_.Unix(kind, s)));
      }
    }
  }
  b.MoveTo(out);
}

void SocketsCollector::PublishQueues(std::vector<prometheus::MetricFamily>* out) const {
  FamilyBuilder rq("netstat_socket_receive_queue_bytes",
                   "Sum of the receive queues (ss Recv-Q) of inet sockets by protocol, family "
                   "and state. TCP listeners are left out: their queue counts connections.",
                   MetricType::Gauge);
  FamilyBuilder sq("netstat_socket_send_queue_bytes",
                   "Sum of the send queues (ss Send-Q) of inet sockets by protocol, family and "
                   "state. TCP listeners are left out: their queue counts connections.",
                   MetricType::Gauge);
  ForEachInetState(
      [&](st::Protocol p, uint8_t s, const collectors::Labels& labels, const StateCounts& c) {
        if (p == st::Protocol::kTcp && s == st::kListen) return;
        rq.Add(labels, static_cast<double>(c.receive_queue[s]));
        sq.Add(labels, static_cast<double>(c.send_queue[s]));
      });
  rq.MoveTo(out);
  sq.MoveTo(out);
}

void SocketsCollector::PublishPorts(std::vector<prometheus::MetricFamily>* out) const {
  auto publish = [&](const PortCounts& counts, FamilyBuilder* b) {
    for (uint16_t port : counts.ports()) {
      for (uint8_t s = st::kEstablished; s < kStates; ++s) {
        const uint64_t n = counts.Count(port, s);
        // established always, so a port with no clients reads 0 rather than vanishing
        if (n == 0 && s != st::kEstablished) continue;
        b->Add({{"protocol", "tcp"},
                {"port", std::to_string(port)},
                {"state", st::StateName(st::Protocol::kTcp, s)}},
               static_cast<double>(n));
      }
    }
  };
  FamilyBuilder local("netstat_port_connections",
                      "TCP sockets (listeners themselves excluded) whose local port has a "
                      "listening socket on any address, by port and state.",
                      MetricType::Gauge);
  publish(tally_.local_ports(), &local);
  local.MoveTo(out);
  FamilyBuilder remote("netstat_remote_port_connections",
                       "TCP sockets whose remote port is one of sockets.remote_ports in the "
                       "config, by port and state.",
                       MetricType::Gauge);
  publish(tally_.remote_ports(), &remote);
  remote.MoveTo(out);
}

void SocketsCollector::PublishSockstat(std::vector<prometheus::MetricFamily>* out,
                                       std::string* error) const {
  std::set<std::string> seen;
  for (const char* file : {"net/sockstat", "net/sockstat6"}) {
    const std::string path = root_.Proc(file);
    std::string text;
    if (int err = procfs::ReadTextFile(path, &text)) {
      if (err != ENOENT) AddError(error, path + ": " + procfs::ErrorText(err));
      continue;
    }
    SockstatResult parsed = ParseSockstat(text);
    for (const auto& e : parsed.errors) AddError(error, path + ": " + e);
    for (const auto& v : parsed.values) {
      std::string name = "netstat_sockstat_";
      for (char c : v.group + "_" + v.field) {
        const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        name.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : keep ? c : '_');
      }
      double value = static_cast<double>(v.value);
      std::string unit;
      if (v.field == "mem") {  // pages
        value *= static_cast<double>(page_size_);
        name += "_bytes";
        unit = " in bytes (the kernel counts pages)";
      } else if (v.field == "memory") {
        name += "_bytes";
      }
      if (!seen.insert(name).second) continue;
      FamilyBuilder(
          name, "Field " + v.field + unit + " of " + v.group + " in /proc/" + file + " (ss -s).",
          MetricType::Gauge)
          .Add(value)
          .MoveTo(out);
    }
  }
}

}  // namespace

std::unique_ptr<collectors::Collector> MakeSocketsCollector(const collectors::Environment& env) {
  auto table = st::OpenSocketTable(env.root);
  LogSource(table->source(), env.root.procfs());
  return MakeSocketsCollector(env.root, env.config.sockets.remote_ports, std::move(table));
}

std::unique_ptr<collectors::Collector> MakeSocketsCollector(
    const procfs::Root& root, std::vector<uint16_t> remote_ports,
    std::unique_ptr<socket_table::SocketTable> table) {
  return std::make_unique<SocketsCollector>(root, std::move(remote_ports), std::move(table));
}

}  // namespace netstat::sockets
