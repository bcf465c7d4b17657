#include "readers/tcp_iter/tcp_iter_counter.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "readers/bpf_support/bpf_support.h"

#if NETSTAT_HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>
#include <spdlog/spdlog.h>

#include <cstdarg>

// clang-format off: the layout before the skeleton, which declares variables of its types
#include "readers/tcp_iter/tcp_count_layout.h"
#include "tcp_count.skel.h"
#include "tcp_ehash.skel.h"
// clang-format on
#endif

namespace netstat::tcp_iter {

#if NETSTAT_HAVE_BPF

namespace {}  // namespace

struct TcpIterCounter::Impl {
  tcp_count_bpf* skel = nullptr;
  bpf_link* link = nullptr;
  tcp_ehash_bpf* walk = nullptr;  // null: the hash walk did not load; the iterator only
  PortSlots last{{}, {}};         // the slots set in the iterator's memory by its last run
  PortSlots walk_last{{}, {}};    // the same for the walk

  ~Impl() {
    bpf_link__destroy(link);
    tcp_count_bpf__destroy(skel);
    tcp_ehash_bpf__destroy(walk);
  }

  bool Iterate(const PortSlots& slots, TcpCounts* out, std::string* error);
  // False, with the reason, when the walk failed or was incomplete (a bucket that kept
  // changing, or one longer than the program follows): the iterator is asked instead.
  bool Walk(const PortSlots& slots, TcpCounts* out, std::string* error);
};

namespace {

std::string Errno(const char* what, int error) {
  return std::string(what) + ": " + std::strerror(error);
}

// Both programs share the names and layout of their port slots and results (.bss).
template <typename Bss>
void SetSlots(Bss* bss, const PortSlots& slots, PortSlots* last) {
  for (uint16_t p : last->local) bss->local_slot[p] = 0;
  for (uint16_t p : last->remote) bss->remote_slot[p] = 0;
  for (size_t i = 0; i < slots.local.size(); ++i) {
    bss->local_slot[slots.local[i]] = static_cast<__u16>(slots.LocalSlot(i));
  }
  for (size_t j = 0; j < slots.remote.size(); ++j) {
    bss->remote_slot[slots.remote[j]] = static_cast<__u16>(slots.RemoteSlot(j));
  }
  std::memset(&bss->totals, 0, sizeof bss->totals);
  std::memset(bss->port_counts, 0, slots.used() * sizeof bss->port_counts[0]);
  std::memset(bss->port_rtt, 0, slots.used() * sizeof bss->port_rtt[0]);
  *last = slots;
}

template <typename Bss>
TcpCounts Collect(const Bss* bss, const PortSlots& slots) {
  // Copied out rather than cast: the skeleton's __u64 is unsigned long long, uint64_t
  // unsigned long, and the copy is a few KiB.
  uint64_t sockets[2][kStates], receive_queue[2][kStates], send_queue[2][kStates];
  std::memcpy(sockets, bss->totals.sockets, sizeof sockets);
  std::memcpy(receive_queue, bss->totals.receive_queue, sizeof receive_queue);
  std::memcpy(send_queue, bss->totals.send_queue, sizeof send_queue);
  std::unique_ptr<uint64_t[][kStates]> ports(new uint64_t[slots.used()][kStates]);
  std::memcpy(ports.get(), bss->port_counts, slots.used() * sizeof ports[0]);
  std::vector<netstat_tcp_port_rtt> rtt(bss->port_rtt, bss->port_rtt + slots.used());
  return Decode({sockets, receive_queue, send_queue}, ports.get(), slots, rtt.data());
}

// The hash walk, loaded, with its state (kernel addresses) frozen against writes from
// this process: nullptr, with the reason, where the kernel lacks what it needs.
tcp_ehash_bpf* LoadWalk(std::string* error) {
  tcp_ehash_bpf* walk = tcp_ehash_bpf__open_and_load();
  if (walk == nullptr) {
    *error = std::strerror(errno);
    return nullptr;
  }
  if (walk->bss == nullptr) {
    *error = "its memory cannot be mapped";
  } else if (walk->data_walk != nullptr) {
    *error = "this libbpf maps the walk's state into the process";
  } else if (bpf_map_freeze(bpf_map__fd(walk->maps.data_walk)) != 0) {
    *error = Errno("freezing the walk's state", errno);
  } else {
    return walk;
  }
  tcp_ehash_bpf__destroy(walk);
  return nullptr;
}

// Chunks of 256 buckets per run of the hash walk: 128 is 32,768 buckets, about 5 ms at
// 200k sockets here, so that one run does not keep the CPU for the whole walk.
constexpr uint32_t kWalkSliceChunks = 128;

}  // namespace

std::shared_ptr<TcpIterCounter> TcpIterCounter::Shared(std::string* error) {
  static std::mutex mu;
  static std::shared_ptr<TcpIterCounter> shared;
  std::lock_guard lock(mu);
  if (shared) return shared;
  if (!bpf_support::MayLoad()) {
    *error = "loading the BPF iterator needs CAP_BPF and CAP_PERFMON (root has them)";
    return nullptr;
  }
  bpf_support::LogLibbpf();
  auto impl = std::make_unique<Impl>();
  impl->skel = tcp_count_bpf__open_and_load();
  if (impl->skel == nullptr) {
    *error = Errno("loading the BPF iterator (tcp_count.bpf.c)", errno);
    return nullptr;
  }
  if (impl->skel->bss == nullptr) {
    *error = "loading the BPF iterator: its memory cannot be mapped (kernel before 5.5?)";
    return nullptr;
  }
  impl->link = bpf_program__attach_iter(impl->skel->progs.count_tcp, nullptr);
  if (impl->link == nullptr) {
    *error = Errno("attaching the BPF iterator to iter/tcp", errno);
    return nullptr;
  }
  // The hash walk needs more of the kernel (Linux 6.2+: bpf_rcu_read_lock,
  // bpf_rdonly_cast; 6.1+: the per-namespace hash pointer); without it the iterator does.
  std::string walk_error;
  impl->walk = LoadWalk(&walk_error);
  if (impl->walk == nullptr) {
    spdlog::info(
        "sockets: the BPF hash walk (tcp_ehash.bpf.c) did not load ({}); counting "
        "TCP with the BPF iterator, about 2.5x slower at 200k sockets",
        walk_error);
  }
  shared.reset(new TcpIterCounter(std::move(impl)));
  return shared;
}

bool TcpIterCounter::Impl::Iterate(const PortSlots& slots, TcpCounts* out, std::string* error) {
  auto* bss = skel->bss;
  SetSlots(bss, slots, &last);
  const int fd = bpf_iter_create(bpf_link__fd(link));
  if (fd < 0) {
    *error = Errno("creating the BPF iterator", errno);
    return false;
  }
  // The program writes nothing; the read ends when the walk does. EAGAIN: the kernel
  // stops a read after a million sockets without output, and the next read goes on.
  char buffer[64];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0 && errno != EINTR && errno != EAGAIN) {
      *error = Errno("reading the BPF iterator", errno);
      close(fd);
      return false;
    }
  }
  close(fd);
  *out = Collect(bss, slots);
  return true;
}

bool TcpIterCounter::Impl::Walk(const PortSlots& slots, TcpCounts* out, std::string* error) {
  auto* bss = walk->bss;
  SetSlots(bss, slots, &walk_last);
  bss->slice_chunks = kWalkSliceChunks;
  const int fd = bpf_program__fd(walk->progs.count_ehash);
  for (uint32_t start = 0;; start += kWalkSliceChunks) {
    bss->slice_start = start;
    LIBBPF_OPTS(bpf_test_run_opts, opts);
    if (bpf_prog_test_run_opts(fd, &opts) != 0) {
      *error = Errno("running the BPF hash walk", errno);
      return false;
    }
    if (bss->done) break;
  }
  if (bss->error != 0) {
    *error = "the BPF hash walk could not read this namespace's TCP hash";
    return false;
  }
  // The reasons carry no numbers, so that each is logged once however often it recurs.
  if (bss->unstable_buckets != 0) {
    *error = "the BPF hash walk was incomplete (a bucket kept changing while it was read)";
    return false;
  }
  if (bss->long_chains != 0) {
    *error = "the BPF hash walk was incomplete (a bucket held more than 64 sockets)";
    return false;
  }
  *out = Collect(bss, slots);
  return true;
}

bool TcpIterCounter::Count(const std::vector<uint16_t>& local_ports,
                           const std::vector<uint16_t>& remote_ports, TcpCounts* out,
                           std::string* error) {
  static_assert(sizeof(__u64) == sizeof(uint64_t) && NETSTAT_TCP_STATES == kStates &&
                NETSTAT_TCP_MAX_SLOTS == kMaxSlots);
  std::lock_guard lock(mu_);
  PortSlots slots(local_ports, remote_ports);
  if (!slots.Fits()) {
    *error = "more than " + std::to_string(kMaxSlots - 1) + " ports to count";
    return false;
  }
  if (impl_->walk != nullptr && !force_iterator_) {
    std::string why;
    if (impl_->Walk(slots, out, &why)) return true;
    // Once per distinct reason: a walk that is incomplete under heavy churn may be so
    // again on the next scrape, and the iterator's count is right either way.
    if (why != walk_failure_) spdlog::info("sockets: {}; counting with the BPF iterator", why);
    walk_failure_ = why;
  }
  return impl_->Iterate(slots, out, error);
}

bool TcpIterCounter::has_walk() const { return impl_->walk != nullptr; }

#else  // !NETSTAT_HAVE_BPF

struct TcpIterCounter::Impl {};

std::shared_ptr<TcpIterCounter> TcpIterCounter::Shared(std::string* error) {
  *error = "this build has no BPF support (clang, bpftool, libbpf or BTF missing at build time)";
  return nullptr;
}

bool TcpIterCounter::Count(const std::vector<uint16_t>&, const std::vector<uint16_t>&, TcpCounts*,
                           std::string* error) {
  *error = "no BPF support";
  return false;
}

bool TcpIterCounter::has_walk() const { return false; }

#endif

TcpIterCounter::TcpIterCounter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TcpIterCounter::~TcpIterCounter() = default;

}  // namespace netstat::tcp_iter
