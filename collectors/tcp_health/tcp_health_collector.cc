// TCP health per service port: the BPF programs (readers/tcp_health) count per (netns,
// side, port) in the kernel; each scrape reads that map once and publishes it
// (port_health_families). The collector joins the socket reading only to learn the
// netns label of each foreign namespace, and to forget the counts of namespaces that are
// gone. On reload the new collector adopts the running one's loaded program, so that
// the counters go on; a changed setting that the program fixes at load loads it anew.
#include "collectors/tcp_health/tcp_health_collector.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "collectors/common/family_builder.h"
#include "collectors/tcp_health/port_health_families.h"
#include "readers/socket_reading/socket_consumer.h"
#include "readers/tcp_health/tcp_health_trace.h"

namespace netstat::tcp_health {
namespace {

using collectors::FamilyBuilder;
using prometheus::MetricType;

// What the program fixes at load, and the program itself: shared by a collector and
// its successors across reloads.
struct Loaded {
  uint64_t only_netns = 0;  // 0: every namespace
  uint32_t max_series = 0;
  Availability availability;
  std::unique_ptr<TcpHealthTrace> trace;
};

uint64_t OwnNetnsInode() {
  struct stat s {};
  return stat("/proc/self/ns/net", &s) == 0 ? s.st_ino : 0;
}

class TcpHealthCollector : public collectors::Collector, public socket_reading::SocketConsumer {
 public:
  TcpHealthCollector(std::shared_ptr<Loaded> loaded, uint64_t own_netns)
      : loaded_(std::move(loaded)), own_netns_(own_netns) {}

  const std::shared_ptr<Loaded>& loaded() const { return loaded_; }

  std::string Collect(std::vector<prometheus::MetricFamily>* out) override;

  // Nothing to dump: the reading names the namespaces.
  socket_reading::Interest interest() const override { return {}; }
  void BeginRead() override {
    std::lock_guard lock(mu_);
    reading_.clear();
    read_ = true;
  }
  void BeginNamespace(const socket_reading::NamespaceView& ns) override {
    if (ns.own) return;
    std::lock_guard lock(mu_);
    reading_[ns.inode] = ns.label;
  }
  void OnInet(const socket_table::InetSocket&) override {}
  void EndDump(socket_table::Protocol, socket_table::Family,
               const socket_table::DumpResult&) override {}
  void EndNamespace() override {}
  void DiscardNamespace() override {}

 private:
  const std::shared_ptr<Loaded> loaded_;
  const uint64_t own_netns_;
  std::mutex mu_;
  bool read_ = false;                                  // a reading ran since the last scrape
  std::unordered_map<uint64_t, std::string> reading_;  // foreign inode -> label
};

std::string TcpHealthCollector::Collect(std::vector<prometheus::MetricFamily>* out) {
  const Loaded& l = *loaded_;
  FamilyBuilder("netstat_tcp_health_available",
                "1 when the tcp_health BPF programs are loaded, else 0.", MetricType::Gauge)
      .Add(l.trace ? 1 : 0)
      .MoveTo(out);
  if (!l.trace) return l.availability.expected ? "" : l.availability.reason;
  std::unordered_map<uint64_t, std::string> labels;
  bool read = false;
  {
    std::lock_guard lock(mu_);
    labels = reading_;
    read = read_;
    read_ = false;
  }
  if (read && l.only_netns == 0) {
    // Namespaces come and go for months: what no longer exists leaves the kernel's map.
    l.trace->ForgetNamespaces(
        [&](uint64_t netns) { return netns == own_netns_ || labels.count(netns) != 0; });
  }
  std::vector<PortValue> values;
  for (const PortHealth& h : l.trace->Read()) values.push_back({h.key, h.value});
  PublishPortHealth(values, own_netns_, labels, out);
  std::vector<UdpDropCount> drops;
  for (const UdpDrops& d : l.trace->ReadUdpDrops()) drops.push_back({d.netns, d.port, d.datagrams});
  PublishUdpDrops(drops, own_netns_, labels, out);
  std::vector<DropCount> reasons;
  for (PortDrops& d : l.trace->ReadDrops()) {
    reasons.push_back({d.netns, d.protocol, d.port, std::move(d.reason), d.packets});
  }
  PublishDrops(reasons, own_netns_, labels, out);
  FamilyBuilder("netstat_tcp_health_dropped_series",
                "Events since the programs loaded that found the per-port map full "
                "(tcp_health.max_series) and were not counted.",
                MetricType::Gauge)
      .Add(static_cast<double>(l.trace->Dropped()))
      .MoveTo(out);
  return "";
}

std::shared_ptr<Loaded> Load(uint64_t only_netns, uint32_t max_series,
                             const collectors::Environment& env) {
  auto loaded = std::make_shared<Loaded>();
  loaded->only_netns = only_netns;
  loaded->max_series = max_series;
  if (!env.site.live_network) {
    // The programs see this kernel; a fake or foreign procfs tree would not match it.
    loaded->availability = {false, true,
                            "--path.procfs (" + env.root.procfs() +
                                ") is not this kernel's /proc of this network namespace"};
  } else {
    loaded->trace = TcpHealthTrace::Open(only_netns, max_series, &loaded->availability);
  }
  listen_trace::LogAvailability("tcp_health", "the TCP tracepoints", loaded->availability);
  return loaded;
}

}  // namespace

std::unique_ptr<collectors::Collector> MakeTcpHealthCollector(const collectors::Environment& env) {
  const uint64_t own = OwnNetnsInode();
  const bool all = env.config.namespaces.mode == config::NamespacesConfig::Mode::kAll;
  const uint64_t only_netns = all ? 0 : own;
  const uint32_t max_series = env.config.tcp_health.max_series;
  std::shared_ptr<Loaded> loaded;
  const auto* running = dynamic_cast<const TcpHealthCollector*>(env.previous);
  if (running != nullptr && running->loaded()->trace) {
    const Loaded& r = *running->loaded();
    if (r.only_netns == only_netns && r.max_series == max_series) {
      loaded = running->loaded();
    } else {
      spdlog::info(
          "tcp_health: namespaces.mode or max_series changed, which the BPF programs fix "
          "when they are loaded: loading them again; their counters restart at 0");
    }
  }
  if (!loaded) loaded = Load(only_netns, max_series, env);
  if (loaded->trace) loaded->trace->SetRemotePorts(env.config.sockets.remote_ports);
  return std::make_unique<TcpHealthCollector>(std::move(loaded), own);
}

}  // namespace netstat::tcp_health
