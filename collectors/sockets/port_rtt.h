// The live RTT of each tracked port's established connections, from the socket reading
// (sock_diag's tcp_info, or srtt_us read by the BPF count): netstat_port_rtt_current_*
// and netstat_remote_port_rtt_current_*. Gauges of this reading, not histograms: a
// histogram's buckets are counters of observations that only grow, and a reading of the
// connections open now is a snapshot that goes up and down with them. What one pass can
// add up without keeping each value is a sum and a maximum; the mean is the sum divided
// by netstat_port_connections{state="established"}.
#pragma once

#include <string>

#include "collectors/common/family_builder.h"
#include "collectors/sockets/socket_tally.h"

namespace netstat::sockets {

class PortRttFamilies {
 public:
  // Adds the series of one namespace's tracked ports that have an established
  // connection with an RTT; `netns` is "" for the own namespace (no label).
  void Add(const PortCounts& local, const PortCounts& remote, const std::string& netns);
  void MoveTo(std::vector<prometheus::MetricFamily>* out);

 private:
  static void AddSide(const PortCounts& ports, const std::string& netns,
                      collectors::FamilyBuilder* sum, collectors::FamilyBuilder* max);

  collectors::FamilyBuilder local_sum_{
      "netstat_port_rtt_current_sum_seconds",
      "Sum of the smoothed RTTs (ss -ti rtt) of the established TCP connections whose local "
      "port has a listener, by port; divided by netstat_port_connections{state=\"established\"} "
      "it is their mean.",
      prometheus::MetricType::Gauge};
  collectors::FamilyBuilder local_max_{
      "netstat_port_rtt_current_max_seconds",
      "Largest smoothed RTT (ss -ti rtt) of the established TCP connections whose local port "
      "has a listener, by port.",
      prometheus::MetricType::Gauge};
  collectors::FamilyBuilder remote_sum_{
      "netstat_remote_port_rtt_current_sum_seconds",
      "Sum of the smoothed RTTs (ss -ti rtt) of the established TCP connections to a remote "
      "port in sockets.remote_ports, by port; divided by "
      "netstat_remote_port_connections{state=\"established\"} it is their mean.",
      prometheus::MetricType::Gauge};
  collectors::FamilyBuilder remote_max_{
      "netstat_remote_port_rtt_current_max_seconds",
      "Largest smoothed RTT (ss -ti rtt) of the established TCP connections to a remote port "
      "in sockets.remote_ports, by port.",
      prometheus::MetricType::Gauge};
};

}  // namespace netstat::sockets
