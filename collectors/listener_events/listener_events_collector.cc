// Listener events: the BPF program (listener_events.bpf.c) reports every TCP listen() of
// the host as it happens; the reader thread (bpf_events.cc) decodes each one at once
// (process name from the event's comm and /proc/PID/cmdline, user name) and queues it;
// a scrape counts the queue into series (event_tally), naming each foreign namespace
// from the shared socket reading, which also says which ports have a listener for
// netstat_port_accepted_connections_total (the kernel's per-port counts).
#include "collectors/listener_events/listener_events_collector.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <unordered_map>

#include "collectors/common/family_builder.h"
#include "collectors/listener_events/bpf_events.h"
#include "collectors/listener_events/event_decode.h"
#include "collectors/listener_events/event_tally.h"
#include "collectors/proctable/user_names.h"
#include "collectors/socket_reading/socket_consumer.h"

namespace netstat::listener_events {
namespace {

using collectors::FamilyBuilder;
using prometheus::MetricType;
namespace st = socket_table;

// Events decoded but not yet counted: a scrape empties the queue. Beyond this many
// (scrapes stopped for a long time during a storm of listen() calls) they are lost.
constexpr size_t kMaxQueued = 100000;
// Kernel map entries (of 16,384) above which the ports of vanished namespaces are dropped.
constexpr size_t kForgetAbove = 8192;
// Processes whose whole name is remembered (a pid's entry holds while its comm is the same).
constexpr size_t kMaxNames = 4096;

struct Queued {
  listeners::ListenerFacts facts;  // netns left empty
  uint64_t netns = 0;
  bool own = false;  // the exporter's own listen()
};

uint64_t OwnNetnsInode() {
  struct stat s {};
  return stat("/proc/self/ns/net", &s) == 0 ? s.st_ino : 0;
}

// Logs once per change of reason, not once per reload.
void LogAvailability(const Availability& a) {
  static std::mutex mu;
  static std::string last = "-";
  std::lock_guard lock(mu);
  const std::string now = a.loaded ? "" : a.reason;
  if (now == last) return;
  last = now;
  if (a.loaded) {
    spdlog::info("listener_events: BPF program attached to tp_btf/inet_sock_set_state");
  } else if (a.expected) {
    spdlog::info("listener_events: not available: {}", a.reason);
  } else {
    spdlog::error("listener_events: BPF program failed to load: {}", a.reason);
  }
}

class ListenerEventsCollector : public collectors::Collector,
                                public socket_reading::SocketConsumer {
 public:
  explicit ListenerEventsCollector(const collectors::Environment& env);
  std::string Collect(std::vector<prometheus::MetricFamily>* out) override;

  socket_reading::Interest interest() const override {
    socket_reading::Interest wanted;
    if (bpf_ == nullptr) return wanted;
    for (st::Family f : {st::Family::kIpv4, st::Family::kIpv6}) {
      wanted.Want(st::Protocol::kTcp, f, st::StateBit(st::kListen));
    }
    return wanted;
  }
  void BeginRead() override {
    std::lock_guard lock(mu_);
    ports_.Clear();
    labels_.clear();
  }
  void BeginNamespace(const socket_reading::NamespaceView& ns) override {
    std::lock_guard lock(mu_);
    ns_inode_ = ns.own ? own_netns_ : ns.inode;
    ns_label_ = ns.label;
    if (!ns.own) labels_[ns.inode] = ns.label;
  }
  void OnInet(const st::InetSocket& s) override {
    if (s.protocol != st::Protocol::kTcp || s.state != st::kListen) return;
    std::lock_guard lock(mu_);
    ports_.Add(ns_inode_, ns_label_, s.local_port);
  }
  void EndDump(st::Protocol, st::Family, const st::DumpResult&) override {}
  void EndNamespace() override {}
  void DiscardNamespace() override {}

 private:
  void OnEvent(const netstat_listener_event& e);  // on the reader thread
  std::string UntruncatedName(const netstat_listener_event& e);
  std::string NetnsLabel(uint64_t inode);

  procfs::Root root_;
  uint64_t own_netns_;
  bool all_namespaces_;
  uint32_t self_pid_ = static_cast<uint32_t>(getpid());
  Availability availability_;

  // OnEvent only (the reader thread, or a scrape draining the ring: never both at once).
  proctable::UserNames users_;
  std::string cmdline_;
  // tgid -> (comm, whole name)
  std::unordered_map<uint32_t, std::pair<std::string, std::string>> names_;

  std::mutex queue_mu_;
  std::vector<Queued> queue_;
  uint64_t queue_lost_ = 0;

  std::mutex mu_;  // what a scrape reads and the socket reading fills
  EventTally tally_;
  ListeningPorts ports_;
  uint64_t ns_inode_ = 0;
  std::string ns_label_;
  std::unordered_map<uint64_t, std::string> labels_;  // foreign inode -> label, latest read
  std::unordered_map<uint64_t, std::string> named_;   // label each inode got first
  size_t max_named_;

  std::unique_ptr<BpfEvents> bpf_;  // last: its thread stops before the rest goes
};

ListenerEventsCollector::ListenerEventsCollector(const collectors::Environment& env)
    : root_(env.root),
      own_netns_(OwnNetnsInode()),
      all_namespaces_(env.config.namespaces.mode == config::NamespacesConfig::Mode::kAll),
      users_(root_.procfs(), root_.IsLiveProc()),
      tally_(env.config.listener_events.max_series, env.config.listeners.expected),
      max_named_(env.config.listener_events.max_series) {
  if (!env.site.live_network) {
    // The program sees this kernel; a fake or foreign procfs tree would not match it.
    availability_ = {false, true,
                     "--path.procfs (" + root_.procfs() +
                         ") is not this kernel's /proc of this network namespace"};
  } else {
    availability_ = CheckPrerequisites();
    if (availability_.loaded) {
      bpf_ = BpfEvents::Open([this](const netstat_listener_event& e) { OnEvent(e); },
                             all_namespaces_ ? 0 : own_netns_, &availability_);
    }
  }
  LogAvailability(availability_);
}

void ListenerEventsCollector::OnEvent(const netstat_listener_event& e) {
  if (!e.opened) {
    spdlog::debug("listener_events: tcp port {} closed by pid {} ({})", e.port, e.tgid, CommOf(e));
    return;
  }
  // With `namespaces: {mode: own}` only the exporter's own namespace counts.
  if (!all_namespaces_ && e.netns != own_netns_) return;
  Queued q{DecodeEvent(e, ""), e.netns, e.tgid == self_pid_};
  if (CommMayBeTruncated(e)) q.facts.process = UntruncatedName(e);
  q.facts.user = users_.Name(e.uid);
  spdlog::debug("listener_events: {} {}:{} opened by pid {} ({}) user {} netns {}",
                q.facts.protocol, q.facts.address, q.facts.port, e.tgid, q.facts.process,
                q.facts.user, e.netns);
  std::lock_guard lock(queue_mu_);
  if (queue_.size() >= kMaxQueued) {
    ++queue_lost_;
    return;
  }
  queue_.push_back(std::move(q));
}

// The whole name of a process whose comm is 15 bytes: from its argv[0], read once per
// process (a server that listens in a loop, then exits, must not get its comm only for
// the events read after it exited), else the comm when it has already exited.
std::string ListenerEventsCollector::UntruncatedName(const netstat_listener_event& e) {
  const std::string_view comm = CommOf(e);
  auto it = names_.find(e.tgid);
  if (it != names_.end() && it->second.first == comm) return it->second.second;
  cmdline_.clear();
  procfs::ReadFile(root_.Proc(std::to_string(e.tgid) + "/cmdline"), &cmdline_, 4096,
                   procfs::Oversize::kKeepPrefix);
  std::string name = DecodeEvent(e, cmdline_).process;
  if (cmdline_.empty()) return name;  // gone: maybe a later pid of the same number knows
  if (names_.size() >= kMaxNames) names_.clear();
  names_[e.tgid] = {std::string(comm), name};
  return name;
}

std::string ListenerEventsCollector::NetnsLabel(uint64_t inode) {
  if (inode == own_netns_) return "";
  // A series keeps the label its namespace had when first counted, so that a namespace
  // whose bind mount goes away does not start a second series.
  if (auto it = named_.find(inode); it != named_.end()) return it->second;
  auto it = labels_.find(inode);
  std::string label = it != labels_.end() ? it->second : "net:[" + std::to_string(inode) + "]";
  if (named_.size() < max_named_) named_.emplace(inode, label);
  return label;
}

std::string ListenerEventsCollector::Collect(std::vector<prometheus::MetricFamily>* out) {
  FamilyBuilder("netstat_listener_events_available",
                "1 when the listener events BPF program is loaded, else 0.", MetricType::Gauge)
      .Add(bpf_ != nullptr ? 1 : 0)
      .MoveTo(out);
  if (bpf_ == nullptr) return availability_.expected ? "" : availability_.reason;

  bpf_->Drain();
  std::vector<Queued> queued;
  uint64_t queue_lost = 0;
  {
    std::lock_guard lock(queue_mu_);
    queued.swap(queue_);
    queue_lost = queue_lost_;
  }
  std::lock_guard lock(mu_);
  for (Queued& q : queued) {
    q.facts.netns = NetnsLabel(q.netns);
    tally_.Count(q.facts, q.own);
  }
  tally_.Publish(out);
  FamilyBuilder("netstat_listener_events_lost_total",
                "listen() events lost: the kernel's ring buffer or the exporter's queue was "
                "full.",
                MetricType::Counter)
      .Add(static_cast<double>(bpf_->Lost() + queue_lost))
      .MoveTo(out);
  std::vector<AcceptCount> accepted = bpf_->AcceptCounts();
  if (all_namespaces_ && accepted.size() > kForgetAbove) {
    // Only when the map fills: a reading that missed a namespace then costs a counter
    // reset, never a lost port.
    bpf_->ForgetNamespaces(
        [this](uint64_t netns) { return netns == own_netns_ || labels_.count(netns) > 0; });
    accepted = bpf_->AcceptCounts();
  }
  ports_.Publish(accepted, out);
  FamilyBuilder("netstat_port_accepted_connections_unkeyed_total",
                "Accepted TCP connections not counted per port: the kernel map of ports "
                "was full.",
                MetricType::Counter)
      .Add(static_cast<double>(bpf_->AcceptUnkeyed()))
      .MoveTo(out);
  return "";
}

}  // namespace

std::unique_ptr<collectors::Collector> MakeListenerEventsCollector(
    const collectors::Environment& env) {
  return std::make_unique<ListenerEventsCollector>(env);
}

}  // namespace netstat::listener_events
