// What outlives one listener_events collector: the loaded BPF program and its reader
// thread (bpf_events.h), the decoding of each event on that thread, the queue of decoded
// events and the counts made of them (event_tally.h). A SIGHUP reload builds a new
// collector that adopts the running collector's EventState, so that the counters go on
// and the program stays attached through the swap; only a setting fixed when the
// program is loaded makes a fresh one (Mismatch). The reader thread works on this object
// only, never on a collector, and is stopped first when the last owner lets it go.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "collectors/common/environment.h"
#include "collectors/listener_events/accepted_ports.h"
#include "collectors/listener_events/event_tally.h"
#include "readers/listen_trace/bpf_events.h"
#include "readers/procfs/root.h"
#include "readers/proctable/user_names.h"

namespace netstat::listener_events {

using listen_trace::Availability;
using listen_trace::BpfEvents;
using listen_trace::CheckPrerequisites;

class EventState {
 public:
  // Loads and attaches the program and starts its reader when this site and process
  // allow it; else availability() says why not. Never null.
  static std::shared_ptr<EventState> Open(const collectors::Environment& env);
  ~EventState();

  EventState(const EventState&) = delete;
  EventState& operator=(const EventState&) = delete;

  // What a collector of `env` would need loaded differently ("namespaces.mode changed
  // from own to all"), or "" when it can adopt this state. Reads only what is fixed at
  // load, so it is safe while the running collector scrapes.
  std::string Mismatch(const collectors::Environment& env) const;

  bool loaded() const { return bpf_ != nullptr; }
  const Availability& availability() const { return availability_; }
  uint64_t own_netns() const { return own_netns_; }

  // One scrape: counts every event that reached the ring before the call under `policy`
  // (`labels`: foreign namespace inode -> netns label from the latest socket reading)
  // and appends the counter families; the accepted counts only for `ports`. Only when
  // loaded(). Scrapes of two collectors (the old one's in flight during a reload) are
  // serialized.
  void Collect(const TallyPolicy& policy, const std::unordered_map<uint64_t, std::string>& labels,
               const ListeningPorts& ports, std::vector<prometheus::MetricFamily>* out);
  // Counts every event that reached the ring so far under `policy` (the running
  // collector's), with the latest scrape's netns labels: a reload calls it before the
  // new collector's policy applies, so that a listen() from before the reload is judged
  // by the rules of its time, not by those of the next scrape.
  void Settle(const TallyPolicy& policy);

 private:
  struct Queued {
    listeners::ListenerFacts facts;  // netns left empty
    uint64_t netns = 0;
    bool own = false;  // the exporter's own listen()
  };

  explicit EventState(const collectors::Environment& env);
  void OnEvent(const netstat_listener_event& e);  // the reader thread, or a Drain
  std::string UntruncatedName(const netstat_listener_event& e);
  void CountQueued(const TallyPolicy& policy);  // count_mu_ held
  std::string NetnsLabel(uint64_t inode, size_t max_named);
  void PublishAccepted(const ListeningPorts& ports, std::vector<prometheus::MetricFamily>* out);

  // Fixed at load.
  const procfs::Root root_;
  const uint64_t own_netns_;
  const bool all_namespaces_;  // the program's namespace filter (0: every namespace)
  const uint32_t self_pid_;
  Availability availability_;

  // OnEvent only (the reader thread, or a scrape draining the ring: never both at once).
  proctable::UserNames users_;
  std::string cmdline_;
  // tgid -> (comm, whole name)
  std::unordered_map<uint32_t, std::pair<std::string, std::string>> names_;

  std::mutex queue_mu_;  // OnEvent pushes, a scrape takes
  std::vector<Queued> queue_;
  uint64_t queue_lost_ = 0;

  std::mutex count_mu_;  // one scrape at a time, whichever collector runs it
  EventTally tally_;
  std::unordered_map<uint64_t, std::string> labels_;  // foreign inode -> label, latest scrape
  std::unordered_map<uint64_t, std::string> named_;   // label each inode got first

  std::unique_ptr<BpfEvents> bpf_;  // last: its thread stops before the rest goes
};

}  // namespace netstat::listener_events
