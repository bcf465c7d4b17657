#include "collectors/listener_events/accepted_ports.h"

#include <algorithm>
#include <tuple>

#include "collectors/common/family_builder.h"

namespace netstat::listener_events {

void ListeningPorts::Publish(const std::vector<AcceptCount>& counts,
                             std::vector<prometheus::MetricFamily>* out) const {
  std::vector<std::tuple<std::string, uint16_t, uint64_t>> rows;
  for (const AcceptCount& c : counts) {
    auto it = ports_.find({c.netns, c.port});
    if (it != ports_.end()) rows.emplace_back(it->second, c.port, c.count);
  }
  std::sort(rows.begin(), rows.end());
  collectors::FamilyBuilder family(
      "netstat_port_accepted_connections_total",
      "TCP connections whose handshake completed on a listening port (SYN_RECV -> "
      "ESTABLISHED), counted in the kernel since the BPF program was loaded.",
      prometheus::MetricType::Counter);
  for (const auto& [label, port, count] : rows) {
    collectors::Labels labels = {{"protocol", "tcp"}, {"port", std::to_string(port)}};
    if (!label.empty()) labels.emplace_back("netns", label);
    family.Add(labels, static_cast<double>(count));
  }
  family.MoveTo(out);
}

}  // namespace netstat::listener_events
