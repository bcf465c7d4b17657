// Turns the tcp_health program's per-port values (readers/tcp_health) into metric
// families: the server side under netstat_port_*, the client side under
// netstat_remote_port_*, port 0 as port="other". Pure: tested without BPF.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "readers/tcp_health/tcp_health_layout.h"

namespace netstat::tcp_health {

struct PortValue {
  netstat_th_key key;
  netstat_th_value value;
};

// `own_netns`: the exporter's namespace, whose series carry no netns label; `labels`:
// foreign namespace inode -> netns label. A key of any other namespace is left out (not
// read this run, or beyond namespaces.max). Only keys that exist appear: ports that
// carried connections.
void PublishPortHealth(const std::vector<PortValue>& values, uint64_t own_netns,
                       const std::unordered_map<uint64_t, std::string>& labels,
                       std::vector<prometheus::MetricFamily>* out);

struct UdpDropCount {
  uint64_t netns = 0;
  uint16_t port = 0;
  uint64_t datagrams = 0;
};

// netstat_port_udp_receive_buffer_drops_total{port} (+ netns), as PublishPortHealth
// labels namespaces.
void PublishUdpDrops(const std::vector<UdpDropCount>& drops, uint64_t own_netns,
                     const std::unordered_map<uint64_t, std::string>& labels,
                     std::vector<prometheus::MetricFamily>* out);

struct DropCount {
  uint64_t netns = 0;
  uint8_t protocol = 0;  // IPPROTO_TCP or IPPROTO_UDP
  uint16_t port = 0;
  std::string reason;  // the kernel's name, lower-cased: "no_socket"
  uint64_t packets = 0;
};

// netstat_port_drops_total{protocol,port,reason} (+ netns): reasons outside
// kDropReasons are summed as reason="other".
void PublishDrops(const std::vector<DropCount>& drops, uint64_t own_netns,
                  const std::unordered_map<uint64_t, std::string>& labels,
                  std::vector<prometheus::MetricFamily>* out);

// The drop reasons named on their own: a packet for no socket, a socket's full buffers
// or backlog, its filter, memory pressure, checksums, a full accept queue, TCP's own
// refusals of data that does not fit the window or sequence, netfilter and the qdisc.
extern const char* const kDropReasons[];

// The `le` bounds of each histogram, in seconds.
std::vector<double> DurationBounds();
std::vector<double> RttBounds();
std::vector<double> ConnectBounds();

}  // namespace netstat::tcp_health
