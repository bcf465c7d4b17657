// netstat -i / -e: every /proc/net/dev counter per interface, then per interface the
// /sys/class/net/IFACE attributes (address, operstate, flags, mtu, speed) for
// netstat_interface_{info,up,mtu_bytes,speed_bytes}. Interfaces that vanish in between
// are skipped quietly; the include/exclude filter applies to both.
#include "collectors/interfaces/interfaces_collector.h"

#include <sys/stat.h>

#include <array>
#include <cstring>

#include "collectors/common/family_builder.h"
#include "collectors/interfaces/net_dev_parser.h"
#include "collectors/interfaces/sysfs_attributes.h"
#include "readers/procfs/root.h"

namespace netstat::interfaces {
namespace {

using collectors::FamilyBuilder;
using prometheus::MetricType;

struct CounterColumn {
  const char* suffix;  // netstat_interface_<suffix>_total
  const char* help;
};

constexpr std::array<CounterColumn, 8> kReceive = {{
    {"receive_bytes", "Bytes received (/proc/net/dev)."},
    {"receive_packets", "Packets received."},
    {"receive_errors", "Receive errors reported by the driver."},
    {"receive_dropped", "Received packets dropped."},
    {"receive_fifo_errors", "Receive FIFO buffer errors."},
    {"receive_frame_errors", "Receive framing errors."},
    {"receive_compressed", "Compressed packets received."},
    {"receive_multicast", "Multicast packets received."},
}};
constexpr std::array<CounterColumn, 8> kTransmit = {{
    {"transmit_bytes", "Bytes transmitted (/proc/net/dev)."},
    {"transmit_packets", "Packets transmitted."},
    {"transmit_errors", "Transmit errors reported by the driver."},
    {"transmit_dropped", "Transmitted packets dropped."},
    {"transmit_fifo_errors", "Transmit FIFO buffer errors."},
    {"transmit_collisions", "Collisions detected on transmit."},
    {"transmit_carrier_errors", "Transmit carrier losses."},
    {"transmit_compressed", "Compressed packets transmitted."},
}};

class InterfacesCollector : public collectors::Collector {
 public:
  InterfacesCollector(const procfs::Root& root, config::NameFilter filter)
      : net_dev_(root.Proc("net/dev")),
        class_net_(root.Sys("class/net")),
        filter_(std::move(filter)) {}

  std::string Collect(std::vector<prometheus::MetricFamily>* out) override;

 private:
  void PublishCounters(const std::vector<const NetDevStats*>& ifaces,
                       std::vector<prometheus::MetricFamily>* out) const;

  std::string net_dev_;
  std::string class_net_;
  config::NameFilter filter_;
};

std::string Describe(const std::string& file, const std::vector<std::string>& errors) {
  std::string msg = file + ": " + errors.front();
  if (errors.size() > 1) {
    msg += " (and " + std::to_string(errors.size() - 1) + " more malformed lines)";
  }
  return msg;
}

void InterfacesCollector::PublishCounters(const std::vector<const NetDevStats*>& ifaces,
                                          std::vector<prometheus::MetricFamily>* out) const {
  for (size_t column = 0; column < 16; ++column) {
    const CounterColumn& c = column < 8 ? kReceive[column] : kTransmit[column - 8];
    FamilyBuilder family(std::string("netstat_interface_") + c.suffix + "_total", c.help,
                         MetricType::Counter);
    for (const NetDevStats* s : ifaces) {
      uint64_t v = column < 8 ? s->receive[column] : s->transmit[column - 8];
      family.Add({{"interface", s->name}}, static_cast<double>(v));
    }
    family.MoveTo(out);
  }
}

// The four families built from sysfs, filled one interface at a time.
class SysfsFamilies {
 public:
  void Add(const std::string& name, const SysfsAttributes& attrs) {
    const collectors::Labels labels = {{"interface", name}};
    info_.Add({{"interface", name}, {"address", attrs.address}, {"operstate", attrs.operstate}}, 1);
    up_.Add(labels, IsUp(attrs) ? 1 : 0);
    if (attrs.mtu) mtu_.Add(labels, static_cast<double>(*attrs.mtu));
    // sysfs speed is in Mbit/s: 1 Mbit/s = 125000 bytes/s.
    if (attrs.speed_mbps) speed_.Add(labels, static_cast<double>(*attrs.speed_mbps) * 125000.0);
  }
  void MoveTo(std::vector<prometheus::MetricFamily>* out) {
    info_.MoveTo(out);
    up_.MoveTo(out);
    mtu_.MoveTo(out);
    speed_.MoveTo(out);
  }

 private:
  FamilyBuilder info_{"netstat_interface_info",
                      "Interface facts: MAC address and operational state (value 1).",
                      MetricType::Gauge};
  FamilyBuilder up_{"netstat_interface_up",
                    "1 when operstate is up, or unknown with IFF_UP set; else 0.",
                    MetricType::Gauge};
  FamilyBuilder mtu_{"netstat_interface_mtu_bytes", "Interface MTU in bytes.", MetricType::Gauge};
  FamilyBuilder speed_{"netstat_interface_speed_bytes",
                       "Link speed in bytes per second, when the driver knows it.",
                       MetricType::Gauge};
};

std::string InterfacesCollector::Collect(std::vector<prometheus::MetricFamily>* out) {
  std::string text;
  if (int err = procfs::ReadTextFile(net_dev_, &text); err != 0) {
    return net_dev_ + ": " + procfs::ErrorText(err);
  }
  NetDevResult parsed = ParseNetDev(text);
  std::string error = parsed.errors.empty() ? "" : Describe(net_dev_, parsed.errors);

  // Without /sys/class/net at all (a container without sysfs) the counters are still
  // worth publishing; only a vanished single interface is skipped.
  struct stat st;
  const bool have_sysfs = ::stat(class_net_.c_str(), &st) == 0;
  if (!have_sysfs && error.empty()) error = class_net_ + ": not readable";

  SysfsFamilies sysfs;
  std::vector<const NetDevStats*> published;
  for (const NetDevStats& s : parsed.interfaces) {
    if (!filter_.Passes(s.name)) continue;
    if (have_sysfs) {
      std::optional<SysfsAttributes> attrs = ReadSysfsAttributes(class_net_, s.name);
      if (!attrs) continue;  // vanished after /proc/net/dev was read
      if (!attrs->problem.empty() && error.empty()) error = attrs->problem;
      // Without operstate and flags the sysfs series would say nothing true.
      if (!attrs->operstate.empty() || attrs->flags) sysfs.Add(s.name, *attrs);
    }
    published.push_back(&s);
  }
  PublishCounters(published, out);
  sysfs.MoveTo(out);
  return error;
}

}  // namespace

std::unique_ptr<collectors::Collector> MakeInterfacesCollector(const collectors::Environment& env) {
  return std::make_unique<InterfacesCollector>(env.root, env.config.interfaces.filter);
}

}  // namespace netstat::interfaces
