// netstat_bench_text_writer: one run's /metrics text written by prometheus::TextSerializer
// (into an ostringstream, as daemon/exposition.cc did) against daemon/text_writer, on
// families shaped like mode all over NAMESPACES network namespaces (~20 samples each, 5-7
// labels, counts, byte counters and a few fractions). Runs the two in turn RUNS times and
// prints "serializer_seconds writer_seconds samples bytes" (medians); exits 1 if the two
// texts differ.
//   netstat_bench_text_writer [RUNS] [NAMESPACES]
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/text_writer.h"

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily Family(const char* name, const char* help, MetricType type) {
  MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

ClientMetric Sample(std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  m.counter.value = m.gauge.value = value;
  return m;
}

std::vector<MetricFamily> Families(int namespaces) {
  auto sockets =
      Family("netstat_sockets", "Sockets by protocol, family and state.", MetricType::Gauge);
  auto queue =
      Family("netstat_socket_receive_queue_bytes", "Bytes in receive queues.", MetricType::Gauge);
  auto listeners = Family("netstat_listener_info", "Listening sockets.", MetricType::Gauge);
  auto segments = Family("netstat_tcp_segments_total", "TCP segments, from /proc/net/snmp.",
                         MetricType::Counter);
  auto seconds = Family("netstat_exporter_collector_duration_seconds", "Collector run time.",
                        MetricType::Gauge);
  const char* states[] = {"established", "syn_sent",  "time_wait", "close_wait",
                          "listen",      "fin_wait1", "last_ack",  "closing"};
  for (int n = 0; n < namespaces; ++n) {
    const std::string ns = "net:[40265" + std::to_string(31000 + n) + "]";
    const std::string pod = "web-7d9c6b5f4-" + std::to_string(10000 + n * 37);
    for (const char* family : {"ipv4", "ipv6"}) {
      for (const char* state : states) {
        sockets.metric.push_back(Sample({{"netns", ns},
                                         {"pod", pod},
                                         {"namespace", "shop"},
                                         {"protocol", "tcp"},
                                         {"family", family},
                                         {"state", state}},
                                        n % 7 + state[0] % 5));
      }
    }
    for (int port : {22, 80, 443}) {
      queue.metric.push_back(Sample({{"netns", ns},
                                     {"pod", pod},
                                     {"protocol", "tcp"},
                                     {"family", "ipv4"},
                                     {"address", "10.1.2." + std::to_string(n)},
                                     {"port", std::to_string(port)}},
                                    port * 1024.0));
    }
    listeners.metric.push_back(Sample({{"netns", ns},
                                       {"pod", pod},
                                       {"protocol", "tcp"},
                                       {"family", "ipv4"},
                                       {"address", "0.0.0.0"},
                                       {"port", "8080"},
                                       {"process", "nginx: \"worker\""}},
                                      1));
    for (const char* direction : {"in", "out"}) {
      segments.metric.push_back(Sample({{"netns", ns},
                                        {"pod", pod},
                                        {"namespace", "shop"},
                                        {"container", "app"},
                                        {"direction", direction}},
                                       9.0e12 + n * 123457.0));
    }
    seconds.metric.push_back(Sample({{"netns", ns},
                                     {"pod", pod},
                                     {"namespace", "shop"},
                                     {"container", "app"},
                                     {"collector", "sockets"}},
                                    0.000123 * (n + 1)));
  }
  return {sockets, queue, listeners, segments, seconds};
}

template <typename F>
double Seconds(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 51;
  const int namespaces = argc > 2 ? std::max(1, std::atoi(argv[2])) : 100;
  const auto families = Families(namespaces);
  size_t samples = 0;
  for (const auto& f : families) samples += f.metric.size();

  std::string theirs;
  std::string ours;
  std::vector<double> serializer;
  std::vector<double> writer;
  for (int i = 0; i < runs; ++i) {
    serializer.push_back(Seconds([&] {
      std::ostringstream os;
      prometheus::TextSerializer().Serialize(os, families);
      theirs = std::move(os).str();
    }));
    writer.push_back(Seconds([&] { ours = netstat::daemon::WriteTextFormat(families); }));
  }
  if (ours != theirs) {
    std::fprintf(stderr, "the texts differ\n");
    return 1;
  }
  std::printf("%.6f %.6f %zu %zu\n", Median(serializer), Median(writer), samples, ours.size());
  return 0;
}
