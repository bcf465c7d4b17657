// snmp collector: `netstat -s`. Reads /proc/net/snmp, /proc/net/netstat (paired header and
// value lines) and /proc/net/snmp6, and publishes every field as netstat_<Group>_<Field>:
// counters with _total, the few fields the kernel documents as gauges without.
#include "collectors/snmp/snmp_collector.h"

#include <cerrno>
#include <cstring>
#include <set>
#include <unordered_map>

#include "collectors/common/family_builder.h"
#include "collectors/snmp/snmp_parser.h"
#include "readers/procfs/root.h"

namespace netstat::snmp {
namespace {

// Fields that are levels, not event counts (RFC 1213 / RFC 4022 semantics).
bool IsGauge(const std::string& group, const std::string& name) {
  static const std::set<std::string> kGauges = {
      "Ip_Forwarding", "Ip_DefaultTTL", "Tcp_RtoAlgorithm", "Tcp_RtoMin",
      "Tcp_RtoMax",    "Tcp_MaxConn",   "Tcp_CurrEstab",
  };
  return kGauges.count(group + "_" + name) > 0;
}

struct Source {
  const char* relative;  // under procfs
  ParseResult (*parse)(std::string_view);
};

constexpr Source kSources[] = {
    {"net/snmp", ParsePairedGroups},
    {"net/netstat", ParsePairedGroups},
    {"net/snmp6", ParseSnmp6},
};

class SnmpCollector : public collectors::Collector {
 public:
  SnmpCollector(procfs::Root root, config::NameFilter filter)
      : root_(std::move(root)), filter_(std::move(filter)) {}

  std::string Collect(std::vector<prometheus::MetricFamily>* out) override {
    std::string error;
    std::set<std::string> seen;  // a malformed file must not yield a family twice
    for (const auto& source : kSources) {
      const std::string path = root_.Proc(source.relative);
      std::string text;
      if (int err = procfs::ReadTextFile(path, &text)) {
        if (err == ENOENT) continue;  // no IPv6, or an old kernel: nothing to say
        AddError(&error, path + ": " + procfs::ErrorText(err));
        continue;
      }
      ParseResult parsed = source.parse(text);
      for (const auto& e : parsed.errors) AddError(&error, path + ": " + e);
      for (const auto& f : parsed.fields) {
        std::string key = f.group + "_" + f.name;
        if (!Wanted(key) || !seen.insert(key).second) continue;
        Publish(std::string("/proc/") + source.relative, f, key, out);
      }
    }
    return error;
  }

 private:
  static void AddError(std::string* error, const std::string& what) {
    if (!error->empty()) error->append("; ");
    error->append(what);
  }

  // The filters are regular expressions; field names repeat every scrape, so the
  // answer is cached per name.
  bool Wanted(const std::string& key) {
    auto it = wanted_.find(key);
    if (it == wanted_.end()) it = wanted_.emplace(key, filter_.Passes(key)).first;
    return it->second;
  }

  // `path` is the kernel's name for the file, whatever --path.procfs says.
  static void Publish(const std::string& path, const Field& f, const std::string& key,
                      std::vector<prometheus::MetricFamily>* out) {
    const bool gauge = IsGauge(f.group, f.name);
    collectors::FamilyBuilder(
        "netstat_" + key + (gauge ? "" : "_total"),
        "Field " + f.name + " of group " + f.group + " in " + path + " (netstat -s).",
        gauge ? prometheus::MetricType::Gauge : prometheus::MetricType::Counter)
        .Add(f.value)
        .MoveTo(out);
  }

  procfs::Root root_;
  config::NameFilter filter_;
  std::unordered_map<std::string, bool> wanted_;
};

}  // namespace

std::unique_ptr<collectors::Collector> MakeSnmpCollector(const collectors::Environment& env) {
  return std::make_unique<SnmpCollector>(env.root, env.config.snmp.filter);
}

}  // namespace netstat::snmp
