// The listener_events collector: every TCP listen() as it happens, seen by a BPF program
// (netstat_listener_opened_total and friends), and per-port accepted connections.
// Built on reload with env.previous set, it takes over the running collector's program
// and counts (event_state.h).
#pragma once

#include <memory>

#include "collectors/common/collector.h"
#include "collectors/common/environment.h"

namespace netstat::listener_events {

std::unique_ptr<collectors::Collector> MakeListenerEventsCollector(
    const collectors::Environment& env);

}  // namespace netstat::listener_events
