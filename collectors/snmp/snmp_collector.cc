// snmp collector: `netstat -s`. Reads /proc/net/snmp, /proc/net/netstat (paired header and
// value lines) and /proc/net/snmp6, and publishes the fields include/exclude let through
// (a curated set by default) as netstat_<Group>_<Field>: counters with _total, the few
// fields the kernel documents as gauges without. In namespaces mode all it also takes the
// other namespaces from the shared socket reading and adds their /proc/PID/net/{snmp,netstat}
// fields under the same names with a netns label: from one BPF run over the kernel's
// counters of every namespace where it loads and maps every wanted field (net_mib.h),
// else from each namespace's /proc/PID/net files (namespace_snmp.h).
#include "collectors/snmp/snmp_collector.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <unordered_map>

#include "collectors/common/family_builder.h"
#include "collectors/snmp/namespace_snmp.h"
#include "collectors/snmp/snmp_parser.h"
#include "readers/net_mib/net_mib.h"
#include "readers/procfs/root.h"
#include "readers/socket_reading/socket_consumer.h"

namespace netstat::snmp {
namespace {

// Fields that are levels, not event counts (RFC 1213 / RFC 4022 semantics).
bool IsGauge(const std::string& key) {
  static const std::set<std::string> kGauges = {
      "Ip_Forwarding", "Ip_DefaultTTL", "Tcp_RtoAlgorithm", "Tcp_RtoMin",
      "Tcp_RtoMax",    "Tcp_MaxConn",   "Tcp_CurrEstab",
  };
  return kGauges.count(key) > 0;
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

void AddError(std::string* error, const std::string& what) {
  if (!error->empty()) error->append("; ");
  error->append(what);
}

// One family per field, in the order fields are first seen; the own namespace's sample
// and every other namespace's go to the same family.
class FieldFamilies {
 public:
  // The index of the family of `key` ("Tcp_RetransSegs"), made on first sight.
  size_t IndexOf(const std::string& key, const std::string& group, const std::string& name,
                 const std::string& path) {
    auto it = index_.find(key);
    if (it != index_.end()) return it->second;
    const bool gauge = IsGauge(key);
    index_.emplace(key, builders_.size());
    builders_.emplace_back(
        "netstat_" + key + (gauge ? "" : "_total"),
        "Field " + name + " of group " + group + " in " + path + " (netstat -s).",
        gauge ? prometheus::MetricType::Gauge : prometheus::MetricType::Counter);
    return builders_.size() - 1;
  }
  collectors::FamilyBuilder& operator[](size_t i) { return builders_[i]; }
  bool Has(const std::string& key) const { return index_.count(key) > 0; }
  void MoveTo(std::vector<prometheus::MetricFamily>* out) {
    for (auto& b : builders_) b.MoveTo(out);
  }

 private:
  std::vector<collectors::FamilyBuilder> builders_;
  std::unordered_map<std::string, size_t> index_;
};

class SnmpCollector : public collectors::Collector {
 public:
  SnmpCollector(procfs::Root root, config::SnmpConfig config)
      : root_(std::move(root)), config_(std::move(config)) {}

  std::string Collect(std::vector<prometheus::MetricFamily>* out) override {
    std::string error;
    FieldFamilies families;
    CollectOwn(&families, &error);
    CollectOthers(&families, &error);
    families.MoveTo(out);
    return error;
  }

 protected:
  // The other namespaces' fields (mode all); nothing here.
  virtual void CollectOthers(FieldFamilies*, std::string*) {}

  // The filters are regular expressions; field names repeat every scrape, so the
  // answers are cached per name.
  bool Wanted(const std::string& key) {
    auto it = wanted_.find(key);
    if (it == wanted_.end()) it = wanted_.emplace(key, config_.filter.Passes(key)).first;
    return it->second;
  }
  // For the other namespaces: include/exclude and netns_include.
  bool WantedInOthers(const std::string& key) const {
    return config_.filter.Passes(key) && config_.netns_include.Search(key);
  }
  // `netns_include: "^$"` (no field name is empty) turns the other namespaces off: then
  // their files are not even read.
  bool ReadsOthers() const { return config_.netns_include.source != "^$"; }

  const procfs::Root& root() const { return root_; }

 private:
  void CollectOwn(FieldFamilies* families, std::string* error) {
    for (const auto& source : kSources) {
      const std::string path = root_.Proc(source.relative);
      std::string text;
      if (int err = procfs::ReadTextFile(path, &text)) {
        if (err == ENOENT) continue;  // no IPv6, or an old kernel: nothing to say
        AddError(error, path + ": " + procfs::ErrorText(err));
        continue;
      }
      ParseResult parsed = source.parse(text);
      for (const auto& e : parsed.errors) AddError(error, path + ": " + e);
      for (const auto& f : parsed.fields) {
        std::string key = f.group + "_" + f.name;
        // A malformed file must not yield a sample twice. `path` in HELP is the kernel's
        // name for the file, whatever --path.procfs says.
        if (!Wanted(key) || families->Has(key)) continue;
        (*families)[families->IndexOf(key, f.group, f.name,
                                      std::string("/proc/") + source.relative)]
            .Add(f.value);
      }
    }
  }

  procfs::Root root_;
  config::SnmpConfig config_;
  std::unordered_map<std::string, bool> wanted_;
};

// Mode all: a socket consumer that wants no socket, only to hear which namespaces the
// run read (their label and lowest pid); Collect runs right after that reading.
class AllNamespacesSnmpCollector : public SnmpCollector, public socket_reading::SocketConsumer {
 public:
  AllNamespacesSnmpCollector(procfs::Root root, config::SnmpConfig config, bool live)
      : SnmpCollector(std::move(root), std::move(config)),
        files_(this->root()),
        picker_([this](const std::string& key) { return WantedInOthers(key); }) {
    // Loaded now, while the daemon still holds CAP_BPF: it drops it after start.
    std::string why = "the procfs is not the live kernel's";
    if (live && ReadsOthers()) mib_ = net_mib::NetMib::Shared(&why);
    if (!mib_ && ReadsOthers()) {
      spdlog::info("snmp: other namespaces' counters from /proc/PID/net: {}", why);
    }
  }

  socket_reading::Interest interest() const override { return {}; }
  void BeginRead() override { read_.clear(); }
  void BeginNamespace(const socket_reading::NamespaceView& ns) override {
    current_.reset();
    // A namespace without a process (a bind mount alone) has no /proc/PID/net to read.
    if (!ns.own && ns.pid != 0) current_ = Namespace{ns.label, ns.inode, ns.pid};
  }
  void OnInet(const socket_table::InetSocket&) override {}
  void EndDump(socket_table::Protocol, socket_table::Family,
               const socket_table::DumpResult&) override {}
  void EndNamespace() override {
    if (current_) read_.push_back(std::move(*current_));
    current_.reset();
  }
  void DiscardNamespace() override { current_.reset(); }

 protected:
  void CollectOthers(FieldFamilies* families, std::string* error) override {
    std::vector<uint64_t> inodes;
    if (ReadsOthers()) {
      for (const Namespace& ns : read_) inodes.push_back(ns.inode);
      std::sort(inodes.begin(), inodes.end());
    }
    // Files stay open only for the namespaces /proc is read for.
    files_.Keep(plan_ == Plan::kBpf ? std::vector<uint64_t>{} : inodes);
    if (!ReadsOthers()) return;
    family_of_.clear();  // the families are this run's
    if (plan_ == Plan::kBpf && ReadByBpf(inodes, families, error)) return;
    for (const Namespace& ns : read_) ReadByProc(ns, families, error);
  }

 private:
  struct Namespace {
    std::string label;
    uint64_t inode;
    int32_t pid;
  };
  // Which way the other namespaces are read: kUnknown until one namespace's files were
  // read cleanly through /proc, which tells the picker the wanted fields; then kBpf when
  // the BPF reader loaded and maps every one of them, else kProc for good.
  enum class Plan { kUnknown, kBpf, kProc };

  void ReadByProc(const Namespace& ns, FieldFamilies* families, std::string* error) {
    files_.Read(ns.pid, ns.inode, &picker_, &got_);
    if (got_.gone) return;  // its process exited since the reading: normal churn
    for (const auto& e : got_.errors) AddError(error, "netns " + ns.label + ": " + e);
    const collectors::CleanLabel label("netns", ns.label);
    ++namespace_number_;
    for (auto [values, path] :
         {std::pair{&got_.snmp, "/proc/net/snmp"}, std::pair{&got_.netstat, "/proc/net/netstat"}}) {
      for (const PickedValue& v : *values) {
        // A malformed file must not yield a sample twice.
        if (v.id >= seen_in_.size()) seen_in_.resize(picker_.keys().size(), 0);
        if (seen_in_[v.id] == namespace_number_) continue;
        seen_in_[v.id] = namespace_number_;
        (*families)[FamilyOf(v.id, path, families)].Add(label, v.value);
      }
    }
    if (plan_ == Plan::kUnknown && got_.errors.empty()) MakePlan();
  }

  // Every namespace's wanted fields from one BPF run; a namespace the run did not find
  // or could not read whole is read through /proc (gone there too, it is skipped). False
  // when the run failed: then /proc serves this scrape.
  bool ReadByBpf(const std::vector<uint64_t>& inodes, FieldFamilies* families, std::string* error) {
    std::string why;
    if (!mib_->Read(mib_fields_, inodes, &mib_values_, &mib_found_, &why)) {
      if (!bpf_failed_)
        spdlog::warn("snmp: other namespaces' counters from /proc/PID/net: {}", why);
      bpf_failed_ = true;
      return false;
    }
    if (bpf_failed_) spdlog::info("snmp: other namespaces' counters from BPF again");
    bpf_failed_ = false;
    const size_t n = mib_fields_.size();
    for (const Namespace& ns : read_) {
      const size_t i = std::lower_bound(inodes.begin(), inodes.end(), ns.inode) - inodes.begin();
      if (mib_found_[i] != net_mib::Found::kRead) {
        ReadByProc(ns, families, error);
        continue;
      }
      const collectors::CleanLabel label("netns", ns.label);
      for (size_t f = 0; f < n; ++f) {
        (*families)[FamilyOf(static_cast<uint32_t>(f), mib_paths_[f], families)].Add(
            label, mib_fields_[f].Value(mib_values_[i * n + f]));
      }
    }
    return true;
  }

  // After a clean /proc reading: the BPF reader's fields for the picker's, or kProc.
  void MakePlan() {
    plan_ = Plan::kProc;
    if (!mib_) return;
    const auto& keys = picker_.keys();
    if (keys.empty()) return;  // nothing wanted: /proc keeps closing the files
    if (keys.size() > net_mib::NetMib::kMaxFields) {
      spdlog::info(
          "snmp: other namespaces' counters from /proc/PID/net: {} fields wanted, "
          "the BPF reader reads at most {}",
          keys.size(), net_mib::NetMib::kMaxFields);
      return;
    }
    std::vector<net_mib::MibField> fields;
    std::vector<const char*> paths;
    for (const PickedKey& k : keys) {
      auto field = mib_->Find(k.group, k.name);
      if (!field) {
        spdlog::info(
            "snmp: other namespaces' counters from /proc/PID/net: {} is not a "
            "counter the BPF reader maps",
            k.key);
        return;
      }
      fields.push_back(*field);
      paths.push_back(k.group == "TcpExt" ? "/proc/net/netstat" : "/proc/net/snmp");
    }
    mib_fields_ = std::move(fields);
    mib_paths_ = std::move(paths);
    spdlog::info("snmp: other namespaces' counters from one BPF run ({} fields)",
                 mib_fields_.size());
    plan_ = Plan::kBpf;
  }

  // The family index of the picker's key `id` in this run's families.
  size_t FamilyOf(uint32_t id, const char* path, FieldFamilies* families) {
    if (id >= family_of_.size()) family_of_.resize(picker_.keys().size(), kNoFamily);
    if (family_of_[id] == kNoFamily) {
      const PickedKey& k = picker_.keys()[id];
      family_of_[id] = families->IndexOf(k.key, k.group, k.name, path);
      (*families)[family_of_[id]].Reserve(read_.size() + 1);  // one sample per namespace
    }
    return family_of_[id];
  }

  static constexpr size_t kNoFamily = ~size_t{0};
  std::shared_ptr<net_mib::NetMib> mib_;  // nullptr: /proc for every namespace
  Plan plan_ = Plan::kUnknown;
  bool bpf_failed_ = false;  // the last BPF run failed (logged)
  // Every key of the picker, by id (kBpf: each maps), and the file each is printed in.
  std::vector<net_mib::MibField> mib_fields_;
  std::vector<const char*> mib_paths_;
  std::vector<uint64_t> mib_values_;
  std::vector<net_mib::Found> mib_found_;
  NamespaceStatFiles files_;       // kept open across scrapes
  FieldPicker picker_;             // the other namespaces' fields, by header line
  NamespaceFields got_;            // one namespace's, its storage reused for the next
  std::vector<size_t> family_of_;  // by picker key id, for this run
  // By picker key id, the number of the namespace that last published it.
  std::vector<uint64_t> seen_in_;
  uint64_t namespace_number_ = 0;
  std::optional<Namespace> current_;
  std::vector<Namespace> read_;  // by the last reading, in its order (by inode)
};

}  // namespace

std::unique_ptr<collectors::Collector> MakeSnmpCollector(const collectors::Environment& env) {
  if (env.config.namespaces.mode == config::NamespacesConfig::Mode::kAll) {
    return std::make_unique<AllNamespacesSnmpCollector>(env.root, env.config.snmp,
                                                        env.site.live_network);
  }
  return std::make_unique<SnmpCollector>(env.root, env.config.snmp);
}

}  // namespace netstat::snmp
