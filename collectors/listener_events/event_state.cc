// The reader thread (bpf_events.cc) decodes each event at once (process name from the
// event's comm and /proc/PID/cmdline, user name) and queues it; a scrape counts the queue
// into series (event_tally) under the policy of the collector that scrapes, naming each
// foreign namespace from that collector's socket reading.
#include "collectors/listener_events/event_state.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/common/family_builder.h"
#include "collectors/listener_events/event_decode.h"

namespace netstat::listener_events {
namespace {

using collectors::FamilyBuilder;
using prometheus::MetricType;

// Events decoded but not yet counted: a scrape empties the queue. Beyond this many
// (scrapes stopped for a long time during a storm of listen() calls) they are lost.
constexpr size_t kMaxQueued = 100000;
// Kernel map entries (of 16,384) above which the ports of vanished namespaces are dropped.
constexpr size_t kForgetAbove = 8192;
// Processes whose whole name is remembered (a pid's entry holds while its comm is the same).
constexpr size_t kMaxNames = 4096;

uint64_t OwnNetnsInode() {
  struct stat s {};
  return stat("/proc/self/ns/net", &s) == 0 ? s.st_ino : 0;
}

bool AllNamespaces(const collectors::Environment& env) {
  return env.config.namespaces.mode == config::NamespacesConfig::Mode::kAll;
}

const char* ModeName(bool all) { return all ? "all" : "own"; }

}  // namespace

EventState::EventState(const collectors::Environment& env)
    : root_(env.root),
      own_netns_(OwnNetnsInode()),
      all_namespaces_(AllNamespaces(env)),
      self_pid_(static_cast<uint32_t>(getpid())),
      users_(root_.procfs(), root_.IsLiveProc()) {}

// The reader runs OnEvent on this object until bpf_ is gone: stop it first, explicitly.
EventState::~EventState() { bpf_.reset(); }

std::shared_ptr<EventState> EventState::Open(const collectors::Environment& env) {
  std::shared_ptr<EventState> state(new EventState(env));  // private constructor
  if (!env.site.live_network) {
    // The program sees this kernel; a fake or foreign procfs tree would not match it.
    state->availability_ = {false, true,
                            "--path.procfs (" + env.root.procfs() +
                                ") is not this kernel's /proc of this network namespace"};
  } else {
    state->availability_ = CheckPrerequisites();
    if (state->availability_.loaded) {
      // A plain pointer: the reader must never own the state (its last owner would then
      // be the thread that ~EventState joins).
      EventState* self = state.get();
      state->bpf_ =
          BpfEvents::Open([self](const netstat_listener_event& e) { self->OnEvent(e); },
                          self->all_namespaces_ ? 0 : self->own_netns_, &state->availability_);
    }
  }
  listen_trace::LogAvailability("listener_events", "tp_btf/inet_sock_set_state",
                                state->availability_);
  return state;
}

std::string EventState::Mismatch(const collectors::Environment& env) const {
  if (AllNamespaces(env) != all_namespaces_) {
    return std::string("namespaces.mode changed from ") + ModeName(all_namespaces_) + " to " +
           ModeName(AllNamespaces(env));
  }
  if (env.root.procfs() != root_.procfs()) {
    return "paths.procfs changed from " + root_.procfs() + " to " + env.root.procfs();
  }
  return "";
}

void EventState::OnEvent(const netstat_listener_event& e) {
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
std::string EventState::UntruncatedName(const netstat_listener_event& e) {
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

std::string EventState::NetnsLabel(uint64_t inode, size_t max_named) {
  if (inode == own_netns_) return "";
  // A series keeps the label its namespace had when first counted, so that a namespace
  // whose bind mount goes away does not start a second series.
  if (auto it = named_.find(inode); it != named_.end()) return it->second;
  auto it = labels_.find(inode);
  std::string label = it != labels_.end() ? it->second : "net:[" + std::to_string(inode) + "]";
  if (named_.size() < max_named) named_.emplace(inode, label);
  return label;
}

void EventState::Collect(const TallyPolicy& policy,
                         const std::unordered_map<uint64_t, std::string>& labels,
                         const ListeningPorts& ports, std::vector<prometheus::MetricFamily>* out) {
  // Held from the drain to the publication: a scrape publishes every event that reached
  // the ring before it began, even while another collector's scrape runs.
  std::lock_guard count_lock(count_mu_);
  labels_ = labels;
  CountQueued(policy);
  tally_.Publish(policy, out);
  uint64_t queue_lost = 0;
  {
    std::lock_guard lock(queue_mu_);
    queue_lost = queue_lost_;
  }
  FamilyBuilder("netstat_listener_events_lost_total",
                "listen() events lost: the kernel's ring buffer or the exporter's queue was "
                "full.",
                MetricType::Counter)
      .Add(static_cast<double>(bpf_->Lost() + queue_lost))
      .MoveTo(out);
  PublishAccepted(ports, out);
}

void EventState::Settle(const TallyPolicy& policy) {
  if (!loaded()) return;
  std::lock_guard count_lock(count_mu_);
  CountQueued(policy);
}

void EventState::CountQueued(const TallyPolicy& policy) {
  bpf_->Drain();
  std::vector<Queued> queued;
  {
    std::lock_guard lock(queue_mu_);
    queued.swap(queue_);
  }
  for (Queued& q : queued) {
    q.facts.netns = NetnsLabel(q.netns, policy.max_series);
    tally_.Count(policy, q.facts, q.own);
  }
}

void EventState::PublishAccepted(const ListeningPorts& ports,
                                 std::vector<prometheus::MetricFamily>* out) {
  std::vector<AcceptCount> accepted = bpf_->AcceptCounts();
  if (all_namespaces_ && accepted.size() > kForgetAbove) {
    // Only when the map fills: a reading that missed a namespace then costs a counter
    // reset, never a lost port.
    bpf_->ForgetNamespaces(
        [this](uint64_t netns) { return netns == own_netns_ || labels_.count(netns) > 0; });
    accepted = bpf_->AcceptCounts();
  }
  ports.Publish(accepted, out);
  FamilyBuilder("netstat_port_accepted_connections_unkeyed_total",
                "Accepted TCP connections not counted per port: the kernel map of ports "
                "was full.",
                MetricType::Counter)
      .Add(static_cast<double>(bpf_->AcceptUnkeyed()))
      .MoveTo(out);
}

}  // namespace netstat::listener_events
