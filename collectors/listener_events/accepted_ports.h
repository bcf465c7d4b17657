// netstat_port_accepted_connections_total: the kernel counts completed passive opens per
// (netns inode, port) since the program was loaded; only ports that have a TCP listener
// in the latest socket reading are published (as netstat_port_connections is bounded),
// with a netns label for foreign namespaces. Pure.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "readers/listen_trace/accept_count.h"

namespace netstat::listener_events {

using listen_trace::AcceptCount;

class ListeningPorts {
 public:
  void Clear() { ports_.clear(); }
  // A TCP listener on `port` in the namespace with this inode and netns label.
  void Add(uint64_t netns, const std::string& label, uint16_t port) {
    ports_[{netns, port}] = label;
  }
  bool Has(uint64_t netns, uint16_t port) const { return ports_.count({netns, port}) > 0; }

  // Appends netstat_port_accepted_connections_total for the counts of listening ports,
  // sorted by (netns label, port).
  void Publish(const std::vector<AcceptCount>& counts,
               std::vector<prometheus::MetricFamily>* out) const;

 private:
  std::map<std::pair<uint64_t, uint16_t>, std::string> ports_;  // -> netns label
};

}  // namespace netstat::listener_events
