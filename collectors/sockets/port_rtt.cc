#include "collectors/sockets/port_rtt.h"

namespace netstat::sockets {

void PortRttFamilies::AddSide(const PortCounts& ports, const std::string& netns,
                              collectors::FamilyBuilder* sum, collectors::FamilyBuilder* max) {
  for (uint16_t port : ports.ports()) {
    const tcp_iter::RttSums rtt = ports.Rtt(port);
    if (rtt.sockets == 0) continue;  // no connection, or a source without RTTs (/proc/net)
    collectors::Labels labels{{"protocol", "tcp"}, {"port", std::to_string(port)}};
    if (!netns.empty()) labels.emplace_back("netns", netns);
    sum->Add(labels, static_cast<double>(rtt.sum_us) / 1e6);
    max->Add(labels, static_cast<double>(rtt.max_us) / 1e6);
  }
}

void PortRttFamilies::Add(const PortCounts& local, const PortCounts& remote,
                          const std::string& netns) {
  AddSide(local, netns, &local_sum_, &local_max_);
  AddSide(remote, netns, &remote_sum_, &remote_max_);
}

void PortRttFamilies::MoveTo(std::vector<prometheus::MetricFamily>* out) {
  local_sum_.MoveTo(out);
  local_max_.MoveTo(out);
  remote_sum_.MoveTo(out);
  remote_max_.MoveTo(out);
}

}  // namespace netstat::sockets
