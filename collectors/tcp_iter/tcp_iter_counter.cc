#include "collectors/tcp_iter/tcp_iter_counter.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#if NETSTAT_HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>
#include <spdlog/spdlog.h>

#include <cstdarg>

// clang-format off: the layout before the skeleton, which declares variables of its types
#include "collectors/tcp_iter/tcp_count_layout.h"
#include "tcp_count.skel.h"
// clang-format on
#endif

namespace netstat::tcp_iter {

#if NETSTAT_HAVE_BPF

namespace {

#ifndef CAP_PERFMON
constexpr int CAP_PERFMON = 38;
#endif
#ifndef CAP_BPF
constexpr int CAP_BPF = 39;
#endif

// Whether this thread may load a tracing BPF program: CAP_BPF and CAP_PERFMON (Linux
// 5.8+; iter/tcp needs 5.9 anyway). Asked first so that an exporter without them never
// calls bpf(). CAP_SYS_ADMIN alone would do for the kernel, but it is what the
// all-namespaces systemd drop-in grants for setns, under a system call filter that
// denies bpf(): so it is not taken as a wish to load BPF.
bool MayLoad() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  auto has = [&data](int cap) { return (data[cap / 32].effective >> (cap % 32)) & 1u; };
  return has(CAP_BPF) && has(CAP_PERFMON);
}

}  // namespace

struct TcpIterCounter::Impl {
  tcp_count_bpf* skel = nullptr;
  bpf_link* link = nullptr;
  PortSlots last{{}, {}};  // the slots set in the program's memory by the last run

  ~Impl() {
    bpf_link__destroy(link);
    tcp_count_bpf__destroy(skel);
  }
};

namespace {

int LibbpfLog(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[512];
  const int n = std::vsnprintf(line, sizeof line, format, args);
  std::string text(line, n > 0 ? std::min<size_t>(static_cast<size_t>(n), sizeof line - 1) : 0);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  spdlog::debug("libbpf: {}", text);
  return n;
}

std::string Errno(const char* what, int error) {
  return std::string(what) + ": " + std::strerror(error);
}

}  // namespace

std::shared_ptr<TcpIterCounter> TcpIterCounter::Shared(std::string* error) {
  static std::mutex mu;
  static std::shared_ptr<TcpIterCounter> shared;
  std::lock_guard lock(mu);
  if (shared) return shared;
  if (!MayLoad()) {
    *error = "loading the BPF iterator needs CAP_BPF and CAP_PERFMON (root has them)";
    return nullptr;
  }
  libbpf_set_print(LibbpfLog);
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
  shared.reset(new TcpIterCounter(std::move(impl)));
  return shared;
}

bool TcpIterCounter::Count(const std::vector<uint16_t>& local_ports,
                           const std::vector<uint16_t>& remote_ports, TcpCounts* out,
                           std::string* error) {
  static_assert(sizeof(__u64) == sizeof(uint64_t) && NETSTAT_TCP_STATES == kStates &&
                NETSTAT_TCP_MAX_SLOTS == kMaxSlots);
  std::lock_guard lock(mu_);
  auto* bss = impl_->skel->bss;
  PortSlots slots(local_ports, remote_ports);
  if (!slots.Fits()) {
    *error = "more than " + std::to_string(kMaxSlots - 1) + " ports to count";
    return false;
  }
  for (uint16_t p : impl_->last.local) bss->local_slot[p] = 0;
  for (uint16_t p : impl_->last.remote) bss->remote_slot[p] = 0;
  for (size_t i = 0; i < slots.local.size(); ++i) {
    bss->local_slot[slots.local[i]] = static_cast<__u16>(slots.LocalSlot(i));
  }
  for (size_t j = 0; j < slots.remote.size(); ++j) {
    bss->remote_slot[slots.remote[j]] = static_cast<__u16>(slots.RemoteSlot(j));
  }
  std::memset(&bss->totals, 0, sizeof bss->totals);
  std::memset(bss->port_counts, 0, slots.used() * sizeof bss->port_counts[0]);
  impl_->last = slots;

  const int fd = bpf_iter_create(bpf_link__fd(impl_->link));
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
  // Copied out rather than cast: the skeleton's __u64 is unsigned long long, uint64_t
  // unsigned long, and the copy is a few KiB.
  uint64_t sockets[2][kStates], receive_queue[2][kStates], send_queue[2][kStates];
  std::memcpy(sockets, bss->totals.sockets, sizeof sockets);
  std::memcpy(receive_queue, bss->totals.receive_queue, sizeof receive_queue);
  std::memcpy(send_queue, bss->totals.send_queue, sizeof send_queue);
  std::unique_ptr<uint64_t[][kStates]> ports(new uint64_t[slots.used()][kStates]);
  std::memcpy(ports.get(), bss->port_counts, slots.used() * sizeof ports[0]);
  *out = Decode({sockets, receive_queue, send_queue}, ports.get(), slots);
  return true;
}

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

#endif

TcpIterCounter::TcpIterCounter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TcpIterCounter::~TcpIterCounter() = default;

}  // namespace netstat::tcp_iter
