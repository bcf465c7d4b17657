#include "readers/tcp_iter/host_walk.h"

#include <linux/capability.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "readers/bpf_support/bpf_support.h"

#if NETSTAT_HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>

// clang-format off: the layouts before the skeleton, which declares variables of their types
#include "readers/tcp_iter/host_walk_layout.h"
#include "readers/tcp_iter/tcp_count_layout.h"
#include "tcp_host.skel.h"
// clang-format on
#endif

namespace netstat::tcp_iter {

#if NETSTAT_HAVE_BPF

namespace {

std::string Errno(const char* what, int error) {
  return std::string(what) + ": " + std::strerror(error);
}

// Chunks per run: 128 chunks of 256 established buckets (32,768 buckets) as tcp_ehash;
// 256 chunks of 128 listening buckets.
constexpr uint32_t kEhashSliceChunks = 128;
constexpr uint32_t kListenSliceChunks = 256;
// 256 chunks of 128 UDP slots.
constexpr uint32_t kUdpSliceChunks = 256;

}  // namespace

struct HostWalk::Impl {
  tcp_host_bpf* skel = nullptr;
  std::vector<uint16_t> last_remote;  // remote_slot entries set by the last walk
  ~Impl() { tcp_host_bpf__destroy(skel); }

  // Runs the program in `phase` (sliced for LISTEN and EHASH); false on a bpf() error.
  bool Run(uint32_t phase, uint32_t slice_chunks, Stats* stats, std::string* error) {
    auto* bss = skel->bss;
    bss->phase = phase;
    bss->slice_chunks = slice_chunks;
    const int fd = bpf_program__fd(skel->progs.walk_host);
    for (uint32_t start = 0;; start += slice_chunks) {
      bss->slice_start = start;
      LIBBPF_OPTS(bpf_test_run_opts, opts);
      ++stats->runs;
      if (bpf_prog_test_run_opts(fd, &opts) != 0) {
        *error = Errno("running the BPF host walk", errno);
        return false;
      }
      if (bss->done || slice_chunks == 0) break;
    }
    if (bss->error != 0) {
      *error = "the BPF host walk could not read the kernel's TCP hashes (error " +
               std::to_string(bss->error) + ")";
      if (bss->error == -1) {
        *error = "the BPF host walk must run from a namespace that uses the host's TCP hash";
      }
      return false;
    }
    return true;
  }

  // PHASE_UDP over the caller's UDP table, then the UDP-Lite one, found from a UDP-Lite
  // socket made for the run (none: the kernel has no UDP-Lite, nothing to read). True
  // when both were read completely.
  bool RunUdp(Stats* stats) {
    auto* bss = skel->bss;
    std::string ignored;
    bss->udplite_fd = -1;
    bss->udp_kind = 0;
    if (!Run(NETSTAT_HOST_PHASE_UDP, kUdpSliceChunks, stats, &ignored)) return false;
    const int lite = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDPLITE);
    bool ok = true;
    if (lite >= 0) {
      bss->udplite_fd = lite;
      bss->udp_kind = 1;
      ok = Run(NETSTAT_HOST_PHASE_UDP, kUdpSliceChunks, stats, &ignored);
      bss->udplite_fd = -1;
      ::close(lite);
    } else {
      ok = errno == EPROTONOSUPPORT || errno == ESOCKTNOSUPPORT || errno == EAFNOSUPPORT;
    }
    return ok && bss->udp_missing == 0 && bss->udp_overflow == 0 && bss->u_unstable == 0 &&
           bss->u_long_chains == 0 && bss->u_read_errors == 0;
  }

  // PHASE_UDP over the raw tables of IPv4 and IPv6, after RunUdp (their records follow
  // the UDP ones). True when both were read completely.
  bool RunRaw(Stats* stats) {
    auto* bss = skel->bss;
    std::string ignored;
    const uint64_t given_up = bss->u_unstable + bss->u_long_chains + bss->u_read_errors;
    for (uint32_t kind : {NETSTAT_HOST_RAW4, NETSTAT_HOST_RAW6}) {
      bss->udp_kind = kind;
      if (!Run(NETSTAT_HOST_PHASE_UDP, kUdpSliceChunks, stats, &ignored)) return false;
    }
    const uint32_t raw_tables = (1u << NETSTAT_HOST_RAW4) | (1u << NETSTAT_HOST_RAW6);
    return (bss->udp_missing & raw_tables) == 0 && bss->udp_overflow == 0 &&
           bss->u_unstable + bss->u_long_chains + bss->u_read_errors == given_up;
  }
};

std::shared_ptr<HostWalk> HostWalk::Shared(std::string* error) {
  static std::mutex mu;
  static std::shared_ptr<HostWalk> shared;
  std::lock_guard lock(mu);
  if (shared) return shared;
  if (!bpf_support::MayLoad()) {
    *error = "loading the BPF host walk needs CAP_BPF and CAP_PERFMON (root has them)";
    return nullptr;
  }
  bpf_support::LogLibbpf();
  auto impl = std::make_unique<Impl>();
  impl->skel = tcp_host_bpf__open_and_load();
  if (impl->skel == nullptr) {
    *error = Errno("loading the BPF host walk (tcp_host.bpf.c)", errno);
    return nullptr;
  }
  auto* s = impl->skel;
  if (s->bss == nullptr) {
    *error = "loading the BPF host walk: its memory cannot be mapped";
    return nullptr;
  }
  if (bpf_map_freeze(bpf_map__fd(s->maps.data_walk)) != 0) {
    *error = Errno("freezing the BPF host walk's state", errno);
    return nullptr;
  }
  shared.reset(new HostWalk(std::move(impl)));
  return shared;
}

bool HostWalk::Walk(const std::vector<uint64_t>& wanted, const std::vector<uint16_t>& remote_ports,
                    std::vector<HostNamespace>* out, std::string* error,
                    const std::vector<uint16_t>& extra_local_ports) {
  static_assert(sizeof(__u64) == sizeof(uint64_t) && NETSTAT_TCP_STATES == kStates);
  std::lock_guard lock(mu_);
  stats_ = Stats{};
  std::vector<uint64_t> inodes = wanted;
  std::sort(inodes.begin(), inodes.end());
  inodes.erase(std::unique(inodes.begin(), inodes.end()), inodes.end());
  if (inodes.size() > NETSTAT_HOST_MAX_NS) {
    *error = "more than " + std::to_string(NETSTAT_HOST_MAX_NS) + " namespaces in one walk";
    return false;
  }
  if (!inodes.empty() && inodes.back() > UINT32_MAX) {
    *error = "a namespace inode wider than 32 bits";
    return false;
  }
  if (inodes.empty()) {
    out->clear();
    return true;
  }
  auto* bss = impl_->skel->bss;
  const size_t n = inodes.size();
  bss->ns_count = static_cast<__u32>(n);
  for (size_t i = 0; i < n; ++i) bss->ns_inodes[i] = static_cast<__u32>(inodes[i]);
  std::memset(bss->ns_state, 0, n * sizeof bss->ns_state[0]);

  // The namespace list, then the listeners.
  if (!impl_->Run(NETSTAT_HOST_PHASE_NETS, 0, &stats_, error)) return false;
  if (!impl_->Run(NETSTAT_HOST_PHASE_LISTEN, kListenSliceChunks, &stats_, error)) return false;

  // Each namespace's local ports: its listening ports and the extra ones.
  std::vector<std::vector<uint16_t>> local(n, extra_local_ports);
  const size_t listeners = std::min<size_t>(bss->listener_count, NETSTAT_HOST_MAX_LISTENERS);
  for (size_t k = 0; k < listeners; ++k) {
    const auto& l = bss->listeners[k];
    if (l.ns < n) local[l.ns].push_back(l.port);
  }
  HostRows rows;
  if (!PlanRows(std::move(local), remote_ports, &rows)) {
    *error = "more ports to count than the BPF host walk has rows for";
    return false;
  }
  FillLocalPortTable(&rows, bss->lport_key, bss->lport_row);
  for (uint16_t p : impl_->last_remote) bss->remote_slot[p] = 0;
  for (size_t j = 0; j < rows.remote.size(); ++j) {
    bss->remote_slot[rows.remote[j]] = static_cast<__u16>(j + 1);
  }
  impl_->last_remote = rows.remote;
  bss->remote_count = static_cast<__u32>(rows.remote.size());
  bss->remote_base = rows.remote_base;
  std::memset(bss->ns_totals, 0, n * sizeof bss->ns_totals[0]);
  std::memset(bss->port_counts, 0, rows.used * sizeof bss->port_counts[0]);
  std::memset(bss->port_rtt, 0, rows.used * sizeof bss->port_rtt[0]);

  // The host's established hash, then each own one.
  if (!impl_->Run(NETSTAT_HOST_PHASE_EHASH, kEhashSliceChunks, &stats_, error)) return false;
  for (size_t i = 0; i < n; ++i) {
    if (!bss->ns_state[i].found || !bss->ns_state[i].own_hash) continue;
    bss->target = static_cast<__u32>(i);
    if (!impl_->Run(NETSTAT_HOST_PHASE_OWN, 0, &stats_, error)) return false;
  }

  // The UDP and UDP-Lite tables, then the raw ones.
  const bool udp_ok = impl_->RunUdp(&stats_);
  const bool raw_ok = udp_ok && impl_->RunRaw(&stats_);
  for (size_t i = 0; udp_ok && i < n; ++i) {  // and each own UDP table
    if (!bss->ns_state[i].found || !bss->ns_state[i].own_udp) continue;
    bss->target = static_cast<__u32>(i);
    bss->udp_kind = 0;
    std::string ignored;  // not walked: that namespace's UDP is incomplete
    if (impl_->Run(NETSTAT_HOST_PHASE_UDP_OWN, 0, &stats_, &ignored) &&
        bss->ns_state[i].own_udp_walked) {
      ++stats_.own_udp_tables;
    }
  }

  stats_.ehash_buckets = bss->ehash_buckets;
  stats_.udp_buckets = bss->udp_buckets[0];
  stats_.udplite_buckets = bss->udp_buckets[1];
  stats_.raw_buckets = bss->udp_buckets[NETSTAT_HOST_RAW4] + bss->udp_buckets[NETSTAT_HOST_RAW6];
  stats_.udp_restarts = bss->u_restarts;
  stats_.udp_records = std::min<uint32_t>(bss->udp_count, NETSTAT_HOST_MAX_UDP);
  stats_.lhash_buckets = bss->lhash_buckets;
  stats_.nets_seen = bss->nets_seen;
  stats_.restarts = bss->restarts;
  stats_.listen_restarts = bss->l_restarts;
  HostRaw raw;
  raw.ns_count = n;
  raw.ns = bss->ns_state;
  raw.totals = bss->ns_totals;
  raw.port_counts = bss->port_counts;
  raw.port_rtt = bss->port_rtt;
  raw.listeners = bss->listeners;
  raw.listener_count = listeners;
  raw.listener_overflow = bss->listener_overflow != 0;
  raw.host_incomplete = bss->unstable != 0 || bss->long_chains != 0;
  raw.listen_incomplete = bss->l_unstable != 0 || bss->l_long_chains != 0;
  raw.udp = bss->udp_records;
  raw.udp_count = stats_.udp_records;
  raw.udp_incomplete = !udp_ok;
  raw.raw_incomplete = !raw_ok;
  *out = DecodeHost(raw, inodes, rows);
  return true;
}

#else  // !NETSTAT_HAVE_BPF

struct HostWalk::Impl {};

std::shared_ptr<HostWalk> HostWalk::Shared(std::string* error) {
  *error = "this build has no BPF support (clang, bpftool, libbpf or BTF missing at build time)";
  return nullptr;
}

bool HostWalk::Walk(const std::vector<uint64_t>&, const std::vector<uint16_t>&,
                    std::vector<HostNamespace>*, std::string* error, const std::vector<uint16_t>&) {
  *error = "no BPF support";
  return false;
}

#endif

HostWalk::HostWalk(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HostWalk::~HostWalk() = default;

}  // namespace netstat::tcp_iter
