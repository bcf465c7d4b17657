// Listening sockets handed over by the shared socket reading (sock_diag, else
// /proc/net/{tcp,udp}{,6}), merged per namespace and (protocol, family, address, port,
// bound device; the device named in its own namespace by the reading's table),
// owners from the process table's cached inode -> (pid, fd, start time) map (one
// host-wide walk of every process's socket fds, by BPF or /proc/PID/fd, then stat,
// cmdline, exe, whatever the namespace), service
// names from /etc/services, then the `expected:` policy. Families are built fresh each
// run.
#include "collectors/listeners/listeners_collector.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <system_error>
#include <unordered_map>

#include "collectors/common/family_builder.h"
#include "collectors/listeners/expected_rules.h"
#include "collectors/listeners/listener_set.h"
#include "collectors/listeners/services_file.h"
#include "readers/proctable/owner_resolver.h"
#include "readers/proctable/process_table.h"
#include "readers/proctable/user_names.h"
#include "readers/socket_reading/socket_consumer.h"
#include "readers/socket_table/socket_table.h"

namespace netstat::listeners {
namespace {

using collectors::FamilyBuilder;
using collectors::Labels;
using prometheus::MetricType;
namespace st = socket_table;

bool Has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

struct LabelChoice {
  bool process, user, pid, exe, cmdline;
};

struct Families {
  FamilyBuilder info{"netstat_listener_info",
                     "Listening TCP and bound unconnected UDP sockets, with their owner.",
                     MetricType::Gauge};
  FamilyBuilder unexpected{"netstat_listener_unexpected",
                           "Listeners that no expected rule of the config matches.",
                           MetricType::Gauge};
  FamilyBuilder queue_length{"netstat_listener_queue_length",
                             "Connections waiting in a TCP listener's accept queue (of a "
                             "SO_REUSEPORT group, its fullest socket's).",
                             MetricType::Gauge};
  FamilyBuilder queue_limit{"netstat_listener_queue_limit",
                            "Accept queue limit (backlog) of a TCP listener (of a SO_REUSEPORT "
                            "group, its fullest socket's).",
                            MetricType::Gauge};
};

// The listeners of one namespace, as read.
struct NamespaceListeners {
  socket_reading::NamespaceView ns;
  std::vector<Listener> listeners;
};

class ListenersCollector : public collectors::Collector, public socket_reading::SocketConsumer {
 public:
  explicit ListenersCollector(const collectors::Environment& env);
  std::string Collect(std::vector<prometheus::MetricFamily>* out) override;

  socket_reading::Interest interest() const override {
    socket_reading::Interest wanted;
    for (st::Family f : {st::Family::kIpv4, st::Family::kIpv6}) {
      wanted.Want(st::Protocol::kTcp, f, st::StateBit(st::kListen));
      wanted.Want(st::Protocol::kUdp, f, st::StateBit(st::kClose));
    }
    return wanted;
  }
  void BeginRead() override {
    read_.clear();
    read_error_.clear();
    read_started_ = Clock::now();
    remaining_ = max_listeners_;
    read_dropped_ = 0;
    StartPrecheck();
  }
  void BeginNamespace(const socket_reading::NamespaceView& ns) override {
    ns_ = ns;
    set_ = ListenerSet();
  }
  // An interrupted dump is read again; the set ignores inodes it already has, so nothing
  // needs undoing between attempts.
  void OnInet(const st::InetSocket& s) override { set_.Add(s); }
  void NameInterfaces(const std::function<std::string(uint32_t)>& name) override {
    set_.NameInterfaces(name);
  }
  void EndDump(st::Protocol p, st::Family f, const st::DumpResult& r) override {
    if (r.ok || !r.supported) return;
    if (!read_error_.empty()) read_error_ += "; ";
    if (!ns_.own) read_error_ += "netns " + ns_.label + ": ";
    read_error_ += std::string(st::ProtocolName(p)) + "/" + st::FamilyName(f) + ": " + r.error;
  }
  // max_listeners holds across namespaces: the own namespace first, then the others.
  void EndNamespace() override {
    uint64_t dropped = 0;
    read_.push_back({ns_, set_.Take(remaining_, &dropped)});
    remaining_ -= read_.back().listeners.size();
    read_dropped_ += dropped;
  }
  void DiscardNamespace() override {}

 private:
  using Clock = std::chrono::steady_clock;
  // Fills owners_ for every socket read (the times are for the debug log).
  void ResolveOwners(Clock::time_point start, Clock::time_point dumped);
  // The cached owners are checked on a thread of their own while the sockets are read
  // (on a second core, a scrape no longer waits for them): processes_ and resolver_ are
  // that thread's until FinishPrecheck, which Collect calls first.
  void StartPrecheck();
  void FinishPrecheck();
  // Adds the listener's series; false when its owner is unknown.
  bool Publish(const socket_reading::NamespaceView& ns, const Listener& l, Families* f);
  // The socket of the group whose owner has the lowest pid (else the first socket).
  const ListenerSocket& Representative(const Listener& l, const proctable::Owner** owner) const;

  procfs::Root root_;
  int32_t self_pid_;  // this process as numbered in root_ (0: not there)
  LabelChoice labels_;
  std::vector<config::ExpectedRule> rules_;
  size_t max_listeners_;
  bool need_owners_;
  proctable::ProcessTable processes_;
  proctable::OwnerResolver resolver_;
  proctable::UserNames users_;
  ServicesFile services_;
  std::string services_error_logged_;  // log a services file problem once, not per scrape

  // The run being read.
  std::vector<NamespaceListeners> read_;
  std::string read_error_;
  Clock::time_point read_started_;
  size_t remaining_ = 0;
  uint64_t read_dropped_ = 0;
  socket_reading::NamespaceView ns_;
  ListenerSet set_;

  std::future<void> precheck_;  // valid from StartPrecheck to FinishPrecheck

  std::mutex mu_;
  std::unordered_map<uint64_t, proctable::Owner> owners_;
  const ServiceTable* service_table_ = nullptr;
};

ListenersCollector::ListenersCollector(const collectors::Environment& env)
    : root_(env.root),
      self_pid_(env.site.self_pid),
      labels_{Has(env.config.listeners.labels, "process"), Has(env.config.listeners.labels, "user"),
              Has(env.config.listeners.labels, "pid"), Has(env.config.listeners.labels, "exe"),
              Has(env.config.listeners.labels, "cmdline")},
      rules_(env.config.listeners.expected),
      max_listeners_(env.config.listeners.max_listeners),
      need_owners_(labels_.process || labels_.pid || labels_.exe || labels_.cmdline ||
                   std::any_of(rules_.begin(), rules_.end(),
                               [](const config::ExpectedRule& r) { return r.process; })),
      processes_(root_.procfs(), labels_.cmdline, labels_.exe),
      resolver_(root_.procfs(), &processes_),
      users_(root_.procfs(), root_.IsLiveProc()),
      services_(env.config.paths.services) {
  if (need_owners_) resolver_.UseBpfWalk(env.site.self_pid);
  if (env.site.self_pid != 0) processes_.HoldFiles();  // a live procfs of our pid namespace
}

void ListenersCollector::StartPrecheck() {
  FinishPrecheck();  // a reading without its Collect: that precheck is just dropped
  if (!need_owners_) return;
  auto precheck = [this] {
    processes_.BeginScrape();
    resolver_.Precheck();
  };
  try {
    precheck_ = std::async(std::launch::async, precheck);
  } catch (const std::system_error&) {
    // No thread to be had: the checks run in Collect, as without a second core.
  }
}

void ListenersCollector::FinishPrecheck() {
  if (precheck_.valid()) precheck_.get();
}

std::string ListenersCollector::Collect(std::vector<prometheus::MetricFamily>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  const bool prechecked = precheck_.valid();
  FinishPrecheck();
  const Clock::time_point dumped = Clock::now();

  owners_.clear();
  if (!prechecked) processes_.BeginScrape();
  if (need_owners_) ResolveOwners(read_started_, dumped);

  service_table_ = &services_.Current();
  if (services_.error() != services_error_logged_) {
    if (services_.error().empty()) {
      spdlog::info("listeners: services file readable again; service labels are back");
    } else {
      spdlog::warn(
          "listeners: cannot read the services file ({}); the service label stays empty. "
          "Install netbase for /etc/services or set paths.services",
          services_.error());
    }
    services_error_logged_ = services_.error();
  }
  Families f;
  uint64_t unresolved = 0;
  for (const NamespaceListeners& n : read_) {
    for (const Listener& l : n.listeners) {
      if (!Publish(n.ns, l, &f)) ++unresolved;
    }
  }
  f.info.MoveTo(out);
  if (!rules_.empty()) f.unexpected.MoveTo(out);
  f.queue_length.MoveTo(out);
  f.queue_limit.MoveTo(out);
  // What this reading left out, not a running total: the same listeners are dropped
  // again on every scrape.
  FamilyBuilder("netstat_listeners_dropped",
                "Listeners left out of the last reading because there were more than "
                "max_listeners.",
                MetricType::Gauge)
      .Add(static_cast<double>(read_dropped_))
      .MoveTo(out);
  if (need_owners_) {
    FamilyBuilder("netstat_listener_owner_unresolved",
                  "Listeners whose owning process could not be found or read.", MetricType::Gauge)
        .Add(static_cast<double>(unresolved))
        .MoveTo(out);
  }
  return read_error_;
}

void ListenersCollector::ResolveOwners(Clock::time_point start, Clock::time_point dumped) {
  // Socket inodes are unique host-wide, so one walk serves every namespace.
  std::vector<uint64_t> inodes;
  size_t listeners = 0;
  for (const NamespaceListeners& n : read_) {
    listeners += n.listeners.size();
    for (const Listener& l : n.listeners) {
      for (const ListenerSocket& s : l.sockets) {
        if (s.inode != 0) inodes.push_back(s.inode);
      }
    }
  }
  // A BPF walk that began with this run (process_sockets reads one in its BeginRead,
  // after ours) serves here too when it knows the inodes.
  resolver_.Resolve(inodes, &owners_, read_started_);
  const Clock::time_point resolved = Clock::now();
  const proctable::ResolveStats& s = resolver_.stats();
  // Once per process, not per scrape or reload: the fix is the same every time.
  static std::atomic<bool> warned{false};
  if (s.denied > 0 && !warned.exchange(true)) {
    spdlog::warn(
        "listeners: cannot read /proc/PID/fd of {} processes; their listeners have no "
        "process label. Run as root or grant CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE",
        s.denied);
  }
  using Ms = std::chrono::duration<double, std::milli>;
  spdlog::debug(
      "listeners: {} listeners dumped in {:.1f} ms; owners in {:.1f} ms: {} verified, "
      "walked={} ({}{}{}; {} pids, {} fds)",
      listeners, Ms(dumped - start).count(), Ms(resolved - dumped).count(), s.verified, s.walked,
      s.bpf ? "bpf" : "/proc", s.reused ? ", reused" : "",
      s.instead_of_checks ? ", cheaper than checks" : "", s.pids, s.fds);
}

const ListenerSocket& ListenersCollector::Representative(const Listener& l,
                                                         const proctable::Owner** owner) const {
  const ListenerSocket* best = &l.sockets.front();
  *owner = nullptr;
  for (const ListenerSocket& s : l.sockets) {
    auto it = owners_.find(s.inode);
    if (it == owners_.end()) continue;
    if (*owner == nullptr || it->second.pid < (*owner)->pid) {
      *owner = &it->second;
      best = &s;
    }
  }
  return *best;
}

bool ListenersCollector::Publish(const socket_reading::NamespaceView& ns, const Listener& l,
                                 Families* f) {
  const proctable::Owner* owner = nullptr;
  const ListenerSocket& s = Representative(l, &owner);
  const proctable::ProcessInfo* proc = owner ? processes_.Get(owner->pid) : nullptr;

  ListenerFacts facts;
  facts.protocol = st::ProtocolName(l.protocol);
  facts.family = st::FamilyName(l.family);
  facts.address = st::FormatAddress(l.family, l.address);
  facts.port = l.port;
  facts.uid = s.uid;
  facts.user = users_.Name(s.uid);
  if (proc != nullptr) facts.process = proc->name;
  facts.netns = ns.label;
  facts.interface = l.interface;

  Labels base = {{"protocol", facts.protocol},
                 {"family", facts.family},
                 {"address", facts.address},
                 {"port", std::to_string(l.port)},
                 {"interface", l.interface}};
  if (!ns.own) base.emplace_back("netns", ns.label);
  Labels info = base;
  info.emplace_back("service", service_table_->Find(facts.protocol, l.port));
  if (labels_.process) info.emplace_back("process", facts.process);
  if (labels_.user) info.emplace_back("user", facts.user);
  if (labels_.pid) info.emplace_back("pid", proc ? std::to_string(owner->pid) : "");
  if (labels_.exe) info.emplace_back("exe", proc ? proc->exe : "");
  if (labels_.cmdline) info.emplace_back("cmdline", proc ? proc->cmdline : "");
  f->info.Add(info, 1);
  // The exporter's own listeners (its web.listen_address) are configured by the
  // operator: never unexpected.
  const bool own = owner != nullptr && self_pid_ != 0 && owner->pid == self_pid_;
  if (!rules_.empty() && !own && !IsExpected(rules_, facts)) f->unexpected.Add(info, 1);
  if (l.protocol == st::Protocol::kTcp) {
    f->queue_length.Add(base, static_cast<double>(l.queue_length));
    // Only sock_diag and the walk of the host report the backlog; /proc/net/tcp's
    // tx_queue is something else.
    if (ns.source == st::Source::kNetlink || ns.walked) {
      f->queue_limit.Add(base, static_cast<double>(l.queue_limit));
    }
  }
  return proc != nullptr;
}

}  // namespace

std::unique_ptr<collectors::Collector> MakeListenersCollector(const collectors::Environment& env) {
  return std::make_unique<ListenersCollector>(env);
}

}  // namespace netstat::listeners
