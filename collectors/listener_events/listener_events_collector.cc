// Listener events: the BPF program (listener_events.bpf.c) reports every TCP listen() of
// the host as it happens, and an EventState (event_state.h) decodes, queues and counts
// them. This collector is one config's view of that state: its policy (expected rules,
// max_series) and the shared socket reading, which names each foreign namespace and says
// which ports have a listener for netstat_port_accepted_connections_total. On reload the
// new collector adopts the running one's state, so that the counters go on.
#include "collectors/listener_events/listener_events_collector.h"

#include <spdlog/spdlog.h>

#include <mutex>
#include <unordered_map>

#include "collectors/common/family_builder.h"
#include "collectors/listener_events/event_state.h"
#include "readers/socket_reading/socket_consumer.h"

namespace netstat::listener_events {
namespace {

using collectors::FamilyBuilder;
using prometheus::MetricType;
namespace st = socket_table;

class ListenerEventsCollector : public collectors::Collector,
                                public socket_reading::SocketConsumer {
 public:
  ListenerEventsCollector(const collectors::Environment& env, std::shared_ptr<EventState> state)
      : state_(std::move(state)),
        policy_{env.config.listener_events.max_series, env.config.listeners.expected} {}

  // Set at construction and never changed: a successor reads it while this one scrapes.
  const std::shared_ptr<EventState>& state() const { return state_; }
  // Counts what the ring holds under this collector's policy, before a successor's
  // policy applies.
  void Settle() const { state_->Settle(policy_); }

  std::string Collect(std::vector<prometheus::MetricFamily>* out) override;

  socket_reading::Interest interest() const override {
    socket_reading::Interest wanted;
    if (!state_->loaded()) return wanted;
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
    ns_inode_ = ns.own ? state_->own_netns() : ns.inode;
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
  const std::shared_ptr<EventState> state_;
  const TallyPolicy policy_;

  std::mutex mu_;  // what a scrape reads and the socket reading fills
  ListeningPorts ports_;
  uint64_t ns_inode_ = 0;
  std::string ns_label_;
  std::unordered_map<uint64_t, std::string> labels_;  // foreign inode -> label, latest read
};

std::string ListenerEventsCollector::Collect(std::vector<prometheus::MetricFamily>* out) {
  FamilyBuilder("netstat_listener_events_available",
                "1 when the listener events BPF program is loaded, else 0.", MetricType::Gauge)
      .Add(state_->loaded() ? 1 : 0)
      .MoveTo(out);
  if (!state_->loaded()) {
    const Availability& a = state_->availability();
    return a.expected ? "" : a.reason;
  }
  std::lock_guard lock(mu_);
  state_->Collect(policy_, labels_, ports_, out);
  return "";
}

// The running collector's state when this config can use the same program, with the
// events so far counted under the running policy; nullptr when there is none, it never
// loaded (then loading is tried again), or a setting fixed at load changed (said once,
// here).
std::shared_ptr<EventState> Adoptable(const collectors::Environment& env) {
  const auto* running = dynamic_cast<const ListenerEventsCollector*>(env.previous);
  if (running == nullptr || !running->state()->loaded()) return nullptr;
  const std::string why = running->state()->Mismatch(env);
  if (why.empty()) {
    running->Settle();
    return running->state();
  }
  spdlog::info(
      "listener_events: {}, which the BPF program fixes when it is loaded: loading it again; "
      "its counters restart at 0",
      why);
  return nullptr;
}

}  // namespace

std::unique_ptr<collectors::Collector> MakeListenerEventsCollector(
    const collectors::Environment& env) {
  std::shared_ptr<EventState> state = Adoptable(env);
  if (state == nullptr) state = EventState::Open(env);
  return std::make_unique<ListenerEventsCollector>(env, std::move(state));
}

}  // namespace netstat::listener_events
