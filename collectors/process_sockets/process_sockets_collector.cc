// process_sockets collector: who holds the sockets. At the start of a run one walk of
// every process's socket fds (the BPF owner walk, else /proc/*/fd) maps every socket
// inode to its lowest-pid holder (SocketOwners); the
// shared socket reading then streams each namespace's sockets, which are counted per
// owner as they pass (nothing is stored per socket) and, when the namespace ends,
// folded into label groups. Sockets without an inode (time-wait, request sockets,
// orphans), sockets no readable process holds, and sockets of a process that began to
// exit during the run are counted as unowned, so per-process counts plus unowned equal
// netstat_sockets of the same reading.
//
// Where the reading counts TCP in the kernel (sockets.source bpf or auto, by the hash walk
// or the walk of the whole host) and the owners come from the BPF walk, this collector
// takes those counts too, so that no TCP socket but the listeners is dumped: the BPF walk
// then reads each socket's kind and namespace, which gives the owned sockets by state,
// and the rest of the count (time-wait and request sockets, orphans, sockets of processes
// it cannot name) is unowned. The two are read a few milliseconds apart: a connection
// opened between them is owned but not counted, so unowned (the difference) is never
// below zero but the sum may pass netstat_sockets by what changed in those milliseconds.
// From the second run on, the walk runs on a thread of its own beside the listeners'
// dump and the TCP count (each is a walk of kernel memory, and the host has more than
// one core); the reading's later dumps wait for it.
#include "collectors/process_sockets/process_sockets_collector.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include "collectors/common/family_builder.h"
#include "collectors/process_sockets/process_tally.h"
#include "collectors/process_sockets/socket_owners.h"
#include "readers/socket_reading/socket_consumer.h"

namespace netstat::process_sockets {
namespace {

namespace st = socket_table;
using collectors::FamilyBuilder;
using collectors::Labels;
using prometheus::MetricType;

bool Has(const std::vector<std::string>& v, const char* s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

class ProcessSocketsCollector : public collectors::Collector,
                                public socket_reading::SocketConsumer {
 public:
  explicit ProcessSocketsCollector(const collectors::Environment& env)
      : want_user_(Has(env.config.process_sockets.labels, "user")),
        want_pid_(Has(env.config.process_sockets.labels, "pid")),
        max_processes_(env.config.process_sockets.max_processes),
        tcp_kinds_(env.config.sockets.source != config::SocketsConfig::Source::kNetlink),
        owners_(env.root.procfs(), env.root.IsLiveProc(), want_user_, want_pid_,
                env.site.self_pid) {
    struct stat ns {};
    if (env.root.IsLiveProc() && ::stat((env.root.procfs() + "/self/ns/net").c_str(), &ns) == 0) {
      own_netns_ = static_cast<uint32_t>(ns.st_ino);
    }
  }

  socket_reading::Interest interest() const override {
    return socket_reading::Interest::EverySocket();
  }

  ~ProcessSocketsCollector() override { Join(); }

  void BeginRead() override {
    error_.clear();
    rows_.clear();
    unowned_.clear();
    namespaces_.clear();
    pending_.clear();
    pending_counts_.reset();
    saved_pending_ = counts_at_ = 0;
    listeners_read_ = false;
    const bool kinds = tcp_kinds_ && own_netns_ != 0;
    // The walk runs beside the reading's first namespace when the last one gave the TCP
    // sockets by state (so this one is expected to): the reading counts TCP meanwhile.
    overlap_ = kinds && owners_.knows_tcp();
    if (overlap_) {
      walking_ = std::async(std::launch::async, [this] { TimedWalk(true); });
    } else {
      TimedWalk(kinds);
      AfterWalk();
    }
  }

  void BeginNamespace(const socket_reading::NamespaceView& ns) override {
    ns_ = namespaces_.size();
    namespaces_.push_back(ns);
    if (!walking_.valid()) tally_.Begin(owners_.owners());
  }
  // The walk runs beside the listeners' dump and the TCP count only: a dump after those
  // waits for it, so that what a dump streams was held when the walk listed the fds (a
  // process seen half set up would count in part; the count's sockets are the walk's).
  void ListenersRead() override { listeners_read_ = true; }
  void SaveDump() override {
    if (listeners_read_) Join();
    if (walking_.valid()) {
      saved_pending_ = pending_.size();
    } else {
      tally_.Save();
    }
  }
  void RestoreDump() override {
    if (walking_.valid()) {
      pending_.resize(saved_pending_);
    } else {
      tally_.Restore();
    }
  }
  void OnInet(const st::InetSocket& s) override {
    Add(s.inode, InetSlot(s.protocol, s.family, s.state));
  }
  void OnUnix(const st::UnixSocket& s) override { Add(s.inode, UnixSlot(s.state)); }
  bool TakesTcpCounts(std::vector<uint16_t>*, std::vector<uint16_t>*) override {
    return walking_.valid() ? overlap_ : owners_.knows_tcp();
  }
  void OnTcpCounts(const tcp_iter::TcpCounts& counts) override {
    if (walking_.valid()) {
      pending_counts_ = counts;
      counts_at_ = pending_.size();
    } else {
      AddTcpCounts(counts);
    }
  }
  void EndDump(st::Protocol p, st::Family f, const st::DumpResult& r) override {
    if (r.ok) return;
    RestoreDump();  // publish nothing of a failed dump rather than a part
    std::string what = p == st::Protocol::kUnix
                           ? std::string("unix")
                           : std::string(st::ProtocolName(p)) + " " + st::FamilyName(f);
    if (!namespaces_[ns_].own) what = "netns " + namespaces_[ns_].label + ": " + what;
    if (!error_.empty()) error_ += "; ";
    error_ += what + ": " + r.error;
  }
  void EndNamespace() override;
  void DiscardNamespace() override {
    Join();
    namespaces_.pop_back();
  }

  std::string Collect(std::vector<prometheus::MetricFamily>* out) override;

 private:
  void TimedWalk(bool kinds) {
    const auto start = std::chrono::steady_clock::now();
    owners_.Walk(kinds);
    walk_ms_ =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  }
  void AfterWalk();
  // Waits for a walk running beside the reading, then counts what came meanwhile.
  void Join();
  void Add(uint64_t inode, size_t slot) {
    if (walking_.valid()) {
      pending_.emplace_back(inode, slot);
    } else {
      tally_.Add(Owner(inode), slot);
    }
  }
  void AddTcpCounts(const tcp_iter::TcpCounts& counts);
  uint32_t Owner(uint64_t inode) const {
    const uint32_t o = owners_.OwnerOf(inode);
    return o == InodeMap::kNone ? NamespaceTally::kUnowned : o;
  }
  Labels SeriesLabels(size_t ns, const std::string& process, const std::string& user,
                      const std::string& pid, const SlotLabels& slot) const;

  bool want_user_;
  bool want_pid_;
  size_t max_processes_;
  bool tcp_kinds_;          // the reading may count TCP in the kernel: walk with kinds
  uint32_t own_netns_ = 0;  // the exporter's namespace's inode (live procfs only)
  // The walk of this run when it runs beside the reading (overlap_), until Join; what the
  // first namespace handed over meanwhile: its sockets (inode, slot) and its TCP counts.
  bool overlap_ = false;
  bool listeners_read_ = false;  // of the run's first namespace
  std::future<void> walking_;
  double walk_ms_ = 0;
  std::vector<std::pair<uint64_t, size_t>> pending_;
  size_t saved_pending_ = 0;  // pending_'s size at the last SaveDump
  size_t counts_at_ = 0;      // and when the TCP counts came
  std::optional<tcp_iter::TcpCounts> pending_counts_;
  SocketOwners owners_;
  bool denied_logged_ = false;

  // The run being read.
  std::string error_;
  std::vector<socket_reading::NamespaceView> namespaces_;
  size_t ns_ = 0;
  NamespaceTally tally_;
  std::vector<Row> rows_;
  std::vector<std::pair<size_t, Counts>> unowned_;  // by namespace
};

void ProcessSocketsCollector::AfterWalk() {
  const WalkStats& w = owners_.stats();
  spdlog::debug(
      "process_sockets: walked ({}) {} pids, {} fds, {} socket fds in {:.1f} ms{}; inode map {} "
      "entries in {} bytes",
      owners_.used_bpf() ? "bpf" : "/proc", w.pids, w.fds, w.sockets, walk_ms_,
      overlap_ ? " beside the reading" : "", owners_.inodes().size(),
      owners_.inodes().memory_bytes());
  const uint64_t denied = w.denied;
  if ((denied > 0) != denied_logged_) {
    denied_logged_ = denied > 0;
    if (denied_logged_) {
      spdlog::warn(
          "process_sockets: the fds of {} processes cannot be read (the exporter lacks "
          "CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH); their sockets count as unowned",
          denied);
    }
  }
}

void ProcessSocketsCollector::Join() {
  if (!walking_.valid()) return;
  walking_.get();
  AfterWalk();
  if (namespaces_.empty()) return;  // nothing was handed over
  // Replayed in the order they came, the point of the last SaveDump included, so that a
  // dump still going on can be undone as without the overlap.
  tally_.Begin(owners_.owners());
  const size_t n = pending_.size();
  for (size_t i = 0; i <= n; ++i) {
    if (pending_counts_ && i == counts_at_) {
      // Expected from the last run, but this walk could not give them (its BPF read
      // failed: the owners are from /proc/*/fd): the counted sockets are all unowned.
      if (!owners_.knows_tcp()) {
        if (!error_.empty()) error_ += "; ";
        error_ += "the BPF owner walk failed while TCP was counted: those sockets are unowned";
      }
      AddTcpCounts(*pending_counts_);
    }
    if (i == saved_pending_) tally_.Save();
    if (i < n) tally_.Add(Owner(pending_[i].first), pending_[i].second);
  }
  pending_.clear();
  pending_counts_.reset();
}

void ProcessSocketsCollector::AddTcpCounts(const tcp_iter::TcpCounts& counts) {
  constexpr size_t kStates = OwnedTcp::kStates;
  const socket_reading::NamespaceView& ns = namespaces_[ns_];
  const uint32_t netns = ns.own ? own_netns_ : static_cast<uint32_t>(ns.inode);
  std::array<uint64_t, 2 * kStates> owned{};
  const auto [from, to] = owners_.OwnedTcpIn(netns);
  for (const OwnedTcp* o = from; o != to; ++o) {
    for (size_t k = 0; k < o->sockets.size(); ++k) {
      if (o->sockets[k] == 0) continue;
      const auto family = static_cast<st::Family>(k / kStates);
      tally_.Add(o->owner, InetSlot(st::Protocol::kTcp, family, k % kStates), o->sockets[k]);
      owned[k] += o->sockets[k];
    }
  }
  for (size_t k = 0; k < owned.size(); ++k) {
    const uint64_t total = counts.family[k / kStates].sockets[k % kStates];
    if (k % kStates == st::kListen || total <= owned[k]) continue;
    const auto family = static_cast<st::Family>(k / kStates);
    tally_.Add(NamespaceTally::kUnowned, InetSlot(st::Protocol::kTcp, family, k % kStates),
               static_cast<uint32_t>(total - owned[k]));
  }
}

void ProcessSocketsCollector::EndNamespace() {
  Join();
  std::vector<std::pair<uint32_t, Counts>> groups;
  Counts unowned{};
  tally_.Fold([this](uint32_t owner) { return owners_.GroupOf(owner); },
              [this](uint32_t owner) { return owners_.StillAlive(owner); }, &groups, &unowned);
  for (auto& [group, counts] : groups) rows_.push_back(Row{ns_, group, counts, 0});
  unowned_.emplace_back(ns_, unowned);
}

Labels ProcessSocketsCollector::SeriesLabels(size_t ns, const std::string& process,
                                             const std::string& user, const std::string& pid,
                                             const SlotLabels& slot) const {
  Labels labels;
  labels.emplace_back("process", process);
  labels.emplace_back("protocol", slot.protocol);
  labels.emplace_back("family", slot.family);
  labels.emplace_back("state", slot.state);
  if (want_user_) labels.emplace_back("user", user);
  if (want_pid_) labels.emplace_back("pid", pid);
  if (!namespaces_[ns].own) labels.emplace_back("netns", namespaces_[ns].label);
  return labels;
}

std::string ProcessSocketsCollector::Collect(std::vector<prometheus::MetricFamily>* out) {
  Join();  // a run that read no namespace
  FamilyBuilder sockets("netstat_process_sockets",
                        "Sockets by owning process (the lowest pid holding each), protocol, "
                        "family and state, as ss -anp would list them; only non-zero "
                        "combinations.",
                        MetricType::Gauge);
  FamilyBuilder unowned("netstat_process_sockets_unowned",
                        "Sockets no process could be named for: time-wait and request "
                        "sockets, orphans, sockets of processes whose fds cannot be read or "
                        "that were exiting. With netstat_process_sockets they add up to "
                        "netstat_sockets.",
                        MetricType::Gauge);
  std::vector<std::pair<size_t, Counts>> other;
  const size_t folded = CapRows(&rows_, max_processes_, &other);
  auto add = [&](size_t ns, const std::string& process, const std::string& user,
                 const std::string& pid, const Counts& counts) {
    for (size_t slot = 0; slot < kSlots; ++slot) {
      const SlotLabels l = LabelsOf(slot);
      if (counts[slot] == 0 || l.state == nullptr) continue;
      sockets.Add(SeriesLabels(ns, process, user, pid, l), static_cast<double>(counts[slot]));
    }
  };
  const auto& groups = owners_.groups();
  for (const Row& r : rows_) {
    const GroupKey& g = groups[r.group];
    add(r.ns, g.process, g.user, want_pid_ ? std::to_string(g.pid) : "", r.counts);
  }
  for (const auto& [ns, counts] : other) add(ns, "other", "", "", counts);
  for (const auto& [ns, counts] : unowned_) {
    for (size_t slot = 0; slot < kSlots; ++slot) {
      const SlotLabels l = LabelsOf(slot);
      if (counts[slot] == 0 || l.state == nullptr) continue;
      Labels labels{{"protocol", l.protocol}, {"family", l.family}, {"state", l.state}};
      if (!namespaces_[ns].own) labels.emplace_back("netns", namespaces_[ns].label);
      unowned.Add(labels, static_cast<double>(counts[slot]));
    }
  }
  sockets.MoveTo(out);
  unowned.MoveTo(out);
  owners_.Release();  // the listeners of this collection have had their owners by now
  FamilyBuilder("netstat_process_sockets_folded_processes",
                "Process label sets (name, plus user and pid when labelled, per namespace) "
                "beyond process_sockets.max_processes, summed under process=\"other\".",
                MetricType::Gauge)
      .Add(static_cast<double>(folded))
      .MoveTo(out);
  return error_;
}

}  // namespace

std::unique_ptr<collectors::Collector> MakeProcessSocketsCollector(
    const collectors::Environment& env) {
  return std::make_unique<ProcessSocketsCollector>(env);
}

}  // namespace netstat::process_sockets
