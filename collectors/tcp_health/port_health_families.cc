#include "collectors/tcp_health/port_health_families.h"

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <string_view>
#include <tuple>
#include <utility>

namespace netstat::tcp_health {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

std::vector<double> Seconds(const uint64_t (&ns)[NETSTAT_TH_BOUNDS]) {
  std::vector<double> out;
  for (uint64_t n : ns) out.push_back(static_cast<double>(n) / 1e9);
  return out;
}

constexpr uint64_t kDurationNs[NETSTAT_TH_BOUNDS] = NETSTAT_TH_DURATION_BOUNDS_NS;
constexpr uint64_t kRttNs[NETSTAT_TH_BOUNDS] = NETSTAT_TH_RTT_BOUNDS_NS;
constexpr uint64_t kConnectNs[NETSTAT_TH_BOUNDS] = NETSTAT_TH_CONNECT_BOUNDS_NS;

// The families of one side, in the order they are published.
enum Family : size_t {
  kRetransmits,
  kResetsSent,
  kResetsReceived,
  kSentBytes,
  kReceivedBytes,
  kFailedConnects,
  kDuration,
  kRtt,
  kConnect,
  kFamilies
};

struct Spec {
  const char* suffix;
  const char* help;
  MetricType type;
};

constexpr std::array<Spec, kFamilies> kSpecs = {{
    {"retransmits_total", "TCP segments retransmitted (as Tcp RetransSegs counts them).",
     MetricType::Counter},
    {"resets_sent_total", "TCP resets sent.", MetricType::Counter},
    {"resets_received_total", "TCP resets received.", MetricType::Counter},
    {"sent_bytes_total",
     "Bytes sent and acknowledged by the peer, counted when a connection closes.",
     MetricType::Counter},
    {"received_bytes_total", "Bytes received, counted when a connection closes.",
     MetricType::Counter},
    {"failed_connects_total", "Connects that failed, by reason (refused, timed_out, other).",
     MetricType::Counter},
    {"connection_duration_seconds", "Lifetime of closed connections, from established to close.",
     MetricType::Histogram},
    {"rtt_seconds", "Smoothed round-trip time of connections when they closed.",
     MetricType::Histogram},
    {"connect_seconds", "Time from the SYN sent to the connection established.",
     MetricType::Histogram},
}};

using Labels = std::vector<prometheus::ClientMetric::Label>;

ClientMetric Counter(const Labels& labels, uint64_t value) {
  ClientMetric m;
  m.label = labels;
  m.counter.value = static_cast<double>(value);
  return m;
}

ClientMetric Histogram(const Labels& labels, const netstat_th_histogram& h,
                       const std::vector<double>& bounds) {
  ClientMetric m;
  m.label = labels;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < NETSTAT_TH_BUCKETS; ++i) {
    cumulative += h.buckets[i];
    ClientMetric::Bucket b;
    b.cumulative_count = cumulative;
    b.upper_bound = i < bounds.size() ? bounds[i] : std::numeric_limits<double>::infinity();
    m.histogram.bucket.push_back(b);
  }
  m.histogram.sample_count = cumulative;
  m.histogram.sample_sum = static_cast<double>(h.sum_ns) / 1e9;
  return m;
}

// Adds `netns`'s label to *l; false for a foreign namespace the reading did not name (not
// read this run, or beyond namespaces.max), whose series are left out.
bool LabelNamespace(uint64_t netns, uint64_t own_netns,
                    const std::unordered_map<uint64_t, std::string>& labels, Labels* l) {
  if (netns == own_netns) return true;
  auto it = labels.find(netns);
  if (it == labels.end()) return false;
  l->push_back({"netns", it->second});
  return true;
}

void AddSide(const netstat_th_value& v, bool client, const Labels& labels,
             std::array<MetricFamily, kFamilies>* f) {
  auto& fam = *f;
  fam[kRetransmits].metric.push_back(Counter(labels, v.retransmits));
  fam[kResetsSent].metric.push_back(Counter(labels, v.resets_sent));
  fam[kResetsReceived].metric.push_back(Counter(labels, v.resets_received));
  fam[kSentBytes].metric.push_back(Counter(labels, v.sent_bytes));
  fam[kReceivedBytes].metric.push_back(Counter(labels, v.received_bytes));
  static const std::vector<double> duration = DurationBounds(), rtt = RttBounds(),
                                   connect = ConnectBounds();
  // A histogram appears with its first observation: a port="other" that only ever saw
  // resets (a closed port) would otherwise carry 22 series of zeros.
  const auto observe = [&](Family f, const netstat_th_histogram& h,
                           const std::vector<double>& bounds) {
    if (std::any_of(std::begin(h.buckets), std::end(h.buckets), [](uint64_t n) { return n; })) {
      fam[f].metric.push_back(Histogram(labels, h, bounds));
    }
  };
  observe(kDuration, v.duration, duration);
  observe(kRtt, v.rtt, rtt);
  if (!client) return;
  observe(kConnect, v.connect, connect);
  for (const auto& [reason, n] : {std::pair<const char*, uint64_t>{"refused", v.failed_refused},
                                  {"timed_out", v.failed_timed_out},
                                  {"other", v.failed_other}}) {
    if (n == 0) continue;  // a reason appears with its first failure
    Labels with = labels;
    with.push_back({"reason", reason});
    fam[kFailedConnects].metric.push_back(Counter(with, n));
  }
}

}  // namespace

std::vector<double> DurationBounds() { return Seconds(kDurationNs); }
std::vector<double> RttBounds() { return Seconds(kRttNs); }
std::vector<double> ConnectBounds() { return Seconds(kConnectNs); }

void PublishPortHealth(const std::vector<PortValue>& values, uint64_t own_netns,
                       const std::unordered_map<uint64_t, std::string>& labels,
                       std::vector<MetricFamily>* out) {
  std::array<std::array<MetricFamily, kFamilies>, 2> sides;
  for (int side = 0; side < 2; ++side) {
    const std::string prefix = side == NETSTAT_TH_CLIENT ? "netstat_remote_port_" : "netstat_port_";
    for (size_t i = 0; i < kFamilies; ++i) {
      sides[side][i].name = prefix + kSpecs[i].suffix;
      sides[side][i].help = kSpecs[i].help;
      sides[side][i].type = kSpecs[i].type;
    }
  }
  std::vector<const PortValue*> sorted;
  for (const PortValue& pv : values) sorted.push_back(&pv);
  std::sort(sorted.begin(), sorted.end(), [](const PortValue* a, const PortValue* b) {
    return std::tie(a->key.side, a->key.netns, a->key.port) <
           std::tie(b->key.side, b->key.netns, b->key.port);
  });
  for (const PortValue* p : sorted) {
    const PortValue& pv = *p;
    if (pv.key.side > NETSTAT_TH_CLIENT) continue;
    Labels l = {{"protocol", "tcp"},
                {"port", pv.key.port == NETSTAT_TH_OTHER_PORT ? std::string("other")
                                                              : std::to_string(pv.key.port)}};
    if (!LabelNamespace(pv.key.netns, own_netns, labels, &l)) continue;
    AddSide(pv.value, pv.key.side == NETSTAT_TH_CLIENT, l, &sides[pv.key.side]);
  }
  for (auto& side : sides) {
    for (MetricFamily& f : side) {
      if (!f.metric.empty()) out->push_back(std::move(f));
    }
  }
}

void PublishUdpDrops(const std::vector<UdpDropCount>& drops, uint64_t own_netns,
                     const std::unordered_map<uint64_t, std::string>& labels,
                     std::vector<MetricFamily>* out) {
  std::vector<UdpDropCount> sorted = drops;
  std::sort(sorted.begin(), sorted.end(), [](const UdpDropCount& a, const UdpDropCount& b) {
    return std::tie(a.netns, a.port) < std::tie(b.netns, b.port);
  });
  MetricFamily f;
  f.name = "netstat_port_udp_receive_buffer_drops_total";
  f.help =
      "UDP datagrams dropped because the receiving socket's buffer was full (Udp "
      "RcvbufErrors), by local port.";
  f.type = MetricType::Counter;
  for (const UdpDropCount& d : sorted) {
    Labels l = {{"port", std::to_string(d.port)}};
    if (!LabelNamespace(d.netns, own_netns, labels, &l)) continue;
    f.metric.push_back(Counter(l, d.datagrams));
  }
  if (!f.metric.empty()) out->push_back(std::move(f));
}

const char* const kDropReasons[] = {"no_socket",
                                    "socket_rcvbuff",
                                    "socket_backlog",
                                    "socket_filter",
                                    "proto_mem",
                                    "tcp_csum",
                                    "udp_csum",
                                    "tcp_listen_overflow",
                                    "tcp_zerowindow",
                                    "tcp_old_data",
                                    "tcp_overwindow",
                                    "tcp_ofomerge",
                                    "tcp_invalid_sequence",
                                    "tcp_rfc7323_paws",
                                    "netfilter_drop",
                                    "qdisc_drop",
                                    nullptr};

void PublishDrops(const std::vector<DropCount>& drops, uint64_t own_netns,
                  const std::unordered_map<uint64_t, std::string>& labels,
                  std::vector<MetricFamily>* out) {
  const auto named = [](const std::string& reason) {
    for (const char* const* r = kDropReasons; *r != nullptr; ++r) {
      if (reason == *r) return true;
    }
    return false;
  };
  // (netns, protocol, port, reason) -> packets, "other" folded in; ordered for output.
  std::map<std::tuple<uint64_t, uint8_t, uint16_t, std::string>, uint64_t> sums;
  for (const DropCount& d : drops) {
    sums[{d.netns, d.protocol, d.port, named(d.reason) ? d.reason : "other"}] += d.packets;
  }
  MetricFamily f;
  f.name = "netstat_port_drops_total";
  f.help =
      "TCP and UDP packets the kernel dropped with a reason, by local port (the "
      "destination port of a packet received, the source port of one sent).";
  f.type = MetricType::Counter;
  for (const auto& [key, packets] : sums) {
    const auto& [netns, protocol, port, reason] = key;
    Labels l = {
        {"protocol", protocol == 17 ? "udp" : "tcp"},
        {"port", port == NETSTAT_TH_OTHER_PORT ? std::string("other") : std::to_string(port)},
        {"reason", reason}};
    if (!LabelNamespace(netns, own_netns, labels, &l)) continue;
    f.metric.push_back(Counter(l, packets));
  }
  if (!f.metric.empty()) out->push_back(std::move(f));
}

}  // namespace netstat::tcp_health
