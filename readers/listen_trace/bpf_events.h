// The kernel side of listener events: checks what loading needs, loads and attaches
// listener_events.bpf.c through its skeleton (CO-RE, libbpf), reads its ring buffer on a
// thread of its own and its maps on demand. Without NETSTAT_HAVE_BPF it only says "BPF
// not built in". The header needs no libbpf.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "readers/listen_trace/accept_count.h"
#include "readers/listen_trace/listener_event.h"

namespace netstat::listen_trace {

struct Availability {
  bool loaded = false;
  // When not loaded: true for an expected state (not built in, no privilege, no BTF, an
  // old kernel, bpf() not permitted), false for a load that should have worked.
  bool expected = true;
  std::string reason;  // what is missing, or why loading failed
};

// What this system lacks for loading, as one line; loaded=false when something is.
// Checks, in order: built in, kernel BTF, kernel version (ring buffer: 5.8), the
// calling thread's CAP_BPF + CAP_PERFMON.
Availability CheckPrerequisites();

// Logs a BPF collector's availability once per change of reason, not once per reload:
// info when loaded ("`who`: BPF ... attached to `attached`") or missing for an expected
// reason, error when a load that should have worked failed.
void LogAvailability(const std::string& who, const std::string& attached, const Availability& a);

class BpfEvents {
 public:
  using Sink = std::function<void(const netstat_listener_event&)>;

  // Loads, attaches and starts reading; `sink` runs on the reader thread for each event.
  // `only_netns` (an inode; 0: every namespace) limits events and counts to one network
  // namespace in the kernel. nullptr with *why set when anything fails.
  static std::unique_ptr<BpfEvents> Open(Sink sink, uint64_t only_netns, Availability* why);
  ~BpfEvents();  // stops the reader, detaches and unloads

  // Runs the sink for every event already in the ring buffer, on the calling thread
  // (serialized with the reader): a scrape then counts every listen() that returned
  // before it began.
  void Drain();

  uint64_t Lost() const;           // events the full ring buffer could not take
  uint64_t AcceptUnkeyed() const;  // connections not counted: the per-port map was full
  std::vector<AcceptCount> AcceptCounts() const;
  // Drops the counts of namespaces that no longer exist (`keep` says which do), so that
  // namespaces coming and going over months do not fill the kernel's map of ports.
  void ForgetNamespaces(const std::function<bool(uint64_t netns)>& keep);

  struct Impl;

 private:
  explicit BpfEvents(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace netstat::listen_trace
