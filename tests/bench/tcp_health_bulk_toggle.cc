// tcp_health overhead on a bulk transfer, measured in slices like listener_events_toggle:
// the tcp_health programs are loaded once, then attached and detached every SLICE_MS while
// one process moves bytes over one loopback connection as fast as it can. The accepted end
// (local port PORT) sends and the other end receives, so a loss filter on PORT's data
// (tests/e2e/lossy_lo.bpf.c, set up by tcp_health_bulk_bench.sh) makes the sender
// retransmit: the programs on that path (retransmit, kfree_skb with a reason) run too.
// Prints, for each state, the bytes, wall and CPU seconds (user + system: loopback's
// receive path runs in the syscalls), the ratios with/without (of the sums, and the
// median of adjacent slice pairs), and the programs' own run time from the kernel's
// statistics (BPF_ENABLE_STATS, on while this runs): the ratios of a transfer move by a
// few percent from one run to the next on a busy machine, the run time does not.
//   tcp_health_bulk_toggle PORT SECONDS_EACH [SLICE_MS]   (root, or CAP_BPF + CAP_PERFMON)
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "tcp_health.skel.h"
#include "tests/bench/slice_stats.h"

namespace {

using Clock = std::chrono::steady_clock;
using netstat::bench::CpuSeconds;
using netstat::bench::Median;

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "tcp_health_bulk_toggle: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

struct Slice {
  double bytes = 0, wall = 0, cpu = 0;
};

struct Connection {
  int sender = -1, receiver = -1;
};

// One connection to 127.0.0.1:port, both ends non-blocking.
Connection Open(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const int one = 1;
  const int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (l < 0) Die("socket");
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(l, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(l, 1) != 0) {
    Die("listener");
  }
  Connection c;
  c.receiver = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c.receiver < 0 || connect(c.receiver, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Die("connect");
  }
  c.sender = accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
  if (c.sender < 0) Die("accept");
  close(l);
  for (int fd : {c.sender, c.receiver}) {
    if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0) Die("O_NONBLOCK");
  }
  return c;
}

// Sends and receives in turn until `ms` have passed; waits in poll() only when neither
// side can move (the sender waiting for a retransmission to be acknowledged).
Slice Pump(const Connection& c, int ms) {
  static char buf[1 << 16];
  Slice s;
  const auto start = Clock::now();
  const double cpu0 = CpuSeconds();
  const auto end = start + std::chrono::milliseconds(ms);
  while (Clock::now() < end) {
    bool moved = false;
    ssize_t n = send(c.sender, buf, sizeof buf, MSG_NOSIGNAL);
    if (n > 0) moved = true;
    if (n < 0 && errno != EAGAIN) Die("send");
    while ((n = recv(c.receiver, buf, sizeof buf, 0)) > 0) {
      s.bytes += static_cast<double>(n);
      moved = true;
    }
    if (n == 0 || (n < 0 && errno != EAGAIN)) Die("recv");
    if (!moved) {
      pollfd fds[2] = {{c.sender, POLLOUT, 0}, {c.receiver, POLLIN, 0}};
      poll(fds, 2, 10);
    }
  }
  s.wall = std::chrono::duration<double>(Clock::now() - start).count();
  s.cpu = CpuSeconds() - cpu0;
  return s;
}

// Runs and nanoseconds of all the skeleton's programs so far.
void PrintRunTime(const tcp_health_bpf* skel) {
  unsigned long long runs = 0, ns = 0;
  bpf_program* prog;
  bpf_object__for_each_program(prog, skel->obj) {
    bpf_prog_info info{};
    uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) != 0) continue;
    runs += info.run_cnt;
    ns += info.run_time_ns;
  }
  std::printf("programs runs %llu ns %llu\n", runs, ns);
}

void Print(const char* name, const Slice& s) {
  std::printf("%s bytes %.0f wall %.2f cpu %.2f per_second %.0f per_cpu_second %.0f\n", name,
              s.bytes, s.wall, s.cpu, s.bytes / s.wall / 1e6, s.bytes / s.cpu / 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s PORT SECONDS_EACH [SLICE_MS]\n", argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int seconds = std::atoi(argv[2]);
  const int slice_ms = argc > 3 ? std::atoi(argv[3]) : 500;
  const int pairs = std::max(1, seconds * 1000 / slice_ms);

  const int stats = bpf_enable_stats(BPF_STATS_RUN_TIME);  // < 0: no run time to show
  tcp_health_bpf* skel = tcp_health_bpf__open_and_load();
  if (skel == nullptr) Die("loading the BPF programs");
  const Connection c = Open(port);
  Pump(c, slice_ms);  // past slow start

  Slice with, without;
  std::vector<double> wall_ratio, cpu_ratio;
  for (int p = 0; p < pairs; ++p) {
    Slice s[2];  // [0] without, [1] with; which goes first alternates
    for (int k = 0; k < 2; ++k) {
      const bool attach = (k == 0) == (p % 2 == 1);
      if (attach && tcp_health_bpf__attach(skel) != 0) Die("attach");
      s[attach] = Pump(c, slice_ms);
      if (attach) tcp_health_bpf__detach(skel);
    }
    for (int i = 0; i < 2; ++i) {
      Slice& sum = i ? with : without;
      sum.bytes += s[i].bytes;
      sum.wall += s[i].wall;
      sum.cpu += s[i].cpu;
    }
    wall_ratio.push_back((s[1].bytes / s[1].wall) / (s[0].bytes / s[0].wall));
    cpu_ratio.push_back((s[1].bytes / s[1].cpu) / (s[0].bytes / s[0].cpu));
  }
  if (stats >= 0) PrintRunTime(skel);
  tcp_health_bpf__destroy(skel);
  Print("without", without);
  Print("with", with);
  std::printf("ratio sum_wall %.3f sum_cpu %.3f median_pair_wall %.3f median_pair_cpu %.3f\n",
              (with.bytes / with.wall) / (without.bytes / without.wall),
              (with.bytes / with.cpu) / (without.bytes / without.cpu), Median(wall_ratio),
              Median(cpu_ratio));
  return 0;
}
