// netstat_bench_snmp_netns: where the snmp collector's time goes per other network
// namespace (namespaces mode all), in-process, without HTTP or the socket reading. Finds
// every network namespace of /proc other than its own (through its lowest pid), then per
// round times
//   kernel   pread of /proc/PID/net/snmp and /proc/PID/net/netstat on files kept open,
//            the floor no parser can go under
//   own      Collect of the collector in mode own (the host's netstat -s alone)
//   collect  the collector's Collect, handed the namespaces as the socket reading would
//   write    daemon/text_writer on Collect's families
// and prints the medians of RUNS rounds in microseconds per namespace, with what the
// collector adds to the kernel's work: (collect - own - kernel) per namespace.
// NETNS_INCLUDE replaces the default netns_include (the kernel column stays the cost of
// both files).
//   netstat_bench_snmp_netns [RUNS] [NETNS_INCLUDE]
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "collectors/snmp/snmp_collector.h"
#include "daemon/text_writer.h"
#include "readers/socket_reading/socket_consumer.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace sr = netstat::socket_reading;

struct Namespace {
  uint64_t inode;
  int32_t pid;
};

uint64_t NetnsOf(const std::string& pid) {
  char link[64] = {};
  const std::string path = "/proc/" + pid + "/ns/net";
  if (readlink(path.c_str(), link, sizeof link - 1) <= 0) return 0;
  return std::strtoull(link + 5, nullptr, 10);  // "net:[INODE]"
}

// The other namespaces by inode, each with its lowest pid.
std::vector<Namespace> OtherNamespaces() {
  const uint64_t own = NetnsOf("self");
  std::map<uint64_t, int32_t> lowest;
  DIR* d = opendir("/proc");
  while (dirent* e = d ? readdir(d) : nullptr) {
    const int32_t pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    const uint64_t inode = NetnsOf(e->d_name);
    if (inode == 0 || inode == own) continue;
    auto [it, fresh] = lowest.emplace(inode, pid);
    if (!fresh) it->second = std::min(it->second, pid);
  }
  if (d) closedir(d);
  std::vector<Namespace> out;
  for (auto [inode, pid] : lowest) out.push_back({inode, pid});
  return out;
}

double Micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double TimeKernel(const std::vector<int>& fds) {
  static char buf[16384];
  const auto t0 = Clock::now();
  for (int fd : fds) {
    if (pread(fd, buf, sizeof buf, 0) <= 0) std::fprintf(stderr, "pread failed\n");
  }
  return Micros(Clock::now() - t0);
}

// One run of the collector as the socket reading drives it, seeing `others` after the own
// namespace: its Collect's time.
double TimeCollect(netstat::collectors::Collector* collector, sr::SocketConsumer* consumer,
                   const std::vector<Namespace>& others,
                   std::vector<prometheus::MetricFamily>* out) {
  consumer->BeginRead();
  consumer->BeginNamespace(sr::NamespaceView{});
  consumer->EndNamespace();
  for (const Namespace& ns : others) {
    sr::NamespaceView view{false, "net:[" + std::to_string(ns.inode) + "]",
                           netstat::socket_table::Source::kProcfs, ns.inode};
    view.pid = ns.pid;
    consumer->BeginNamespace(view);
    consumer->EndNamespace();
  }
  std::vector<prometheus::MetricFamily> families;
  const auto t0 = Clock::now();
  const std::string error = collector->Collect(&families);
  const double us = Micros(Clock::now() - t0);
  if (!error.empty()) std::fprintf(stderr, "collect: %s\n", error.c_str());
  if (out) *out = std::move(families);
  return us;
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 50;
  const std::vector<Namespace> others = OtherNamespaces();
  if (others.empty()) {
    std::fprintf(stderr, "no other network namespace with a process\n");
    return 1;
  }
  std::vector<int> fds;
  for (const Namespace& ns : others) {
    for (const char* f : {"snmp", "netstat"}) {
      const std::string path = "/proc/" + std::to_string(ns.pid) + "/net/" + f;
      fds.push_back(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    }
  }

  netstat::config::Config config;
  config.namespaces.mode = netstat::config::NamespacesConfig::Mode::kAll;
  if (argc > 2) config.snmp.netns_include = netstat::config::Pattern::Compile(argv[2]);
  netstat::procfs::Root root("/proc", "/sys");
  auto collector = netstat::snmp::MakeSnmpCollector({root, config});
  auto* consumer = dynamic_cast<sr::SocketConsumer*>(collector.get());
  netstat::config::Config own_config;
  auto own_collector = netstat::snmp::MakeSnmpCollector({root, own_config});
  std::vector<double> kernel, own, collect, write;
  size_t bytes = 0;
  for (int r = 0; r < runs; ++r) {
    kernel.push_back(TimeKernel(fds));
    std::vector<prometheus::MetricFamily> own_out;
    auto t0 = Clock::now();
    own_collector->Collect(&own_out);
    own.push_back(Micros(Clock::now() - t0));
    std::vector<prometheus::MetricFamily> out;
    collect.push_back(TimeCollect(collector.get(), consumer, others, &out));
    t0 = Clock::now();
    bytes = netstat::daemon::WriteTextFormat(out).size();
    write.push_back(Micros(Clock::now() - t0));
  }
  for (int fd : fds) close(fd);
  const double n = static_cast<double>(others.size());
  std::printf("%zu namespaces, %d rounds, medians in us per namespace\n", others.size(), runs);
  std::printf(
      "  kernel %.1f  own %.1f  collect %.1f  write %.1f  (collect - own - kernel %.1f; %zu "
      "bytes)\n",
      Median(kernel) / n, Median(own) / n, Median(collect) / n, Median(write) / n,
      (Median(collect) - Median(own) - Median(kernel)) / n, bytes);
  return 0;
}
