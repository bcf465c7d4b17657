// Loading goes through the bpftool skeleton (open, load with CO-RE relocations against
// /sys/kernel/btf/vmlinux, attach the tp_btf program). Events are read on a thread that
// sleeps in epoll on the ring buffer and an eventfd (the eventfd stops it): a background
// reader loses fewer events than draining at scrape would (a burst between two scrapes
// only needs to fit the 256 KiB ring for the time the thread takes to wake), and it reads
// /proc/PID/cmdline while the process most likely still exists. A scrape drains what is
// left in the ring itself (Drain), so it counts every listen() that returned before it.
#include "readers/listen_trace/bpf_events.h"

#include <linux/capability.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>

#include "readers/bpf_support/bpf_support.h"

#if NETSTAT_HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <cstdarg>
#include <mutex>
#include <thread>

#include "listener_events.skel.h"
#include "readers/bpf_support/map_entries.h"
#endif

namespace netstat::listen_trace {
namespace {

constexpr const char* kBtfPath = "/sys/kernel/btf/vmlinux";

bool HasCapability(const __user_cap_data_struct data[2], int cap) {
  return (data[cap / 32].effective >> (cap % 32)) & 1u;
}

// "6.18.44-fc" -> true when at least major.minor.
bool KernelAtLeast(const char* release, int major, int minor) {
  int a = 0, b = 0;
  if (std::sscanf(release, "%d.%d", &a, &b) != 2) return true;  // unknown: just try
  return a > major || (a == major && b >= minor);
}

Availability Missing(std::string reason) { return Availability{false, true, std::move(reason)}; }

}  // namespace

Availability CheckPrerequisites() {
  if (!NETSTAT_HAVE_BPF) {
    return Missing(
        "BPF not built in (clang, bpftool, libbpf-dev or the build machine's kernel BTF "
        "were missing at build time)");
  }
  if (access(kBtfPath, R_OK) != 0) {
    return Missing(std::string("no kernel BTF (") + kBtfPath + ": " + std::strerror(errno) +
                   "); the kernel needs CONFIG_DEBUG_INFO_BTF");
  }
  utsname u{};
  if (uname(&u) == 0 && !KernelAtLeast(u.release, 5, 8)) {
    return Missing(std::string("kernel ") + u.release + " is older than 5.8 (BPF ring buffer)");
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) != 0) {
    return Missing(std::string("capget: ") + std::strerror(errno));
  }
  // CAP_SYS_ADMIN alone would do for the kernel, but a unit that grants it for setns()
  // (systemd/all-namespaces.conf) has not chosen to allow tracing programs: only the two
  // capabilities made for it count (root has them).
  if (!HasCapability(data, CAP_BPF) || !HasCapability(data, CAP_PERFMON)) {
    return Missing(
        "no CAP_BPF and CAP_PERFMON to load the BPF program (run as root or "
        "install systemd/listener-events.conf)");
  }
  return Availability{true, true, ""};
}

void LogAvailability(const std::string& who, const std::string& attached, const Availability& a) {
  static std::mutex mu;
  static std::map<std::string, std::string> last;  // by collector: the reason logged
  std::lock_guard lock(mu);
  const std::string now = a.loaded ? "" : a.reason;
  auto [it, first] = last.try_emplace(who, now);
  if (!first && it->second == now) return;
  it->second = now;
  if (a.loaded) {
    spdlog::info("{}: BPF attached to {}", who, attached);
  } else if (a.expected) {
    spdlog::info("{}: not available: {}", who, a.reason);
  } else {
    spdlog::error("{}: BPF failed to load: {}", who, a.reason);
  }
}

#if NETSTAT_HAVE_BPF

struct BpfEvents::Impl {
  Sink sink;
  listener_events_bpf* skel = nullptr;
  ring_buffer* ring = nullptr;
  int stop_fd = -1;
  int epoll_fd = -1;
  std::thread reader;
  std::mutex consume_mu;  // ring_buffer__consume is for one consumer at a time

  ~Impl() {
    if (reader.joinable()) {
      const uint64_t one = 1;
      if (write(stop_fd, &one, sizeof one) < 0) spdlog::warn("listener_events: cannot stop reader");
      reader.join();
    }
    if (ring != nullptr) ring_buffer__free(ring);
    if (skel != nullptr) listener_events_bpf__destroy(skel);
    if (epoll_fd >= 0) close(epoll_fd);
    if (stop_fd >= 0) close(stop_fd);
  }

  static int OnRecord(void* ctx, void* data, size_t size) {
    if (size < sizeof(netstat_listener_event)) return 0;
    netstat_listener_event e;
    std::memcpy(&e, data, sizeof e);
    static_cast<Impl*>(ctx)->sink(e);
    return 0;
  }

  void Read() {
    epoll_event ev[2];
    for (;;) {
      const int n = epoll_wait(epoll_fd, ev, 2, -1);
      if (n < 0 && errno == EINTR) continue;  // the capability drop signals every thread
      if (n < 0) {
        spdlog::error("listener_events: epoll_wait: {}; no more events", std::strerror(errno));
        return;
      }
      for (int i = 0; i < n; ++i) {
        if (ev[i].data.fd == stop_fd) return;
      }
      Consume();
    }
  }

  void Consume() {
    std::lock_guard lock(consume_mu);
    ring_buffer__consume(ring);
  }

  uint64_t Counter(uint32_t slot) const {
    uint64_t value = 0;
    if (bpf_map__lookup_elem(skel->maps.counters, &slot, sizeof slot, &value, sizeof value, 0)) {
      return 0;
    }
    return value;
  }
};

namespace {

Availability Failed(const char* step, int err) {
  err = err < 0 ? -err : err;
  // bpf() refused although the capabilities are there: a seccomp profile, an LSM or
  // lockdown says no. That is the environment's choice, like a missing capability.
  const bool denied = err == EPERM || err == EACCES;
  return Availability{false, denied, std::string(step) + ": " + std::strerror(err)};
}

}  // namespace

std::unique_ptr<BpfEvents> BpfEvents::Open(Sink sink, uint64_t only_netns, Availability* why) {
  bpf_support::LogLibbpf();
  auto impl = std::make_unique<Impl>();
  impl->sink = std::move(sink);
  impl->skel = listener_events_bpf__open();
  if (impl->skel == nullptr) {
    *why = Failed("opening the BPF object", errno);
    return nullptr;
  }
  impl->skel->rodata->only_netns = only_netns;
  if (int err = listener_events_bpf__load(impl->skel)) {
    *why = Failed("loading the BPF program", err);
    return nullptr;
  }
  if (int err = listener_events_bpf__attach(impl->skel)) {
    *why = Failed("attaching to tp_btf/inet_sock_set_state", err);
    return nullptr;
  }
  impl->ring =
      ring_buffer__new(bpf_map__fd(impl->skel->maps.events), &Impl::OnRecord, impl.get(), nullptr);
  if (impl->ring == nullptr) {
    *why = Failed("opening the ring buffer", errno);
    return nullptr;
  }
  impl->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  impl->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (impl->stop_fd < 0 || impl->epoll_fd < 0) {
    *why = Failed("eventfd/epoll", errno);
    return nullptr;
  }
  for (int fd : {impl->stop_fd, ring_buffer__epoll_fd(impl->ring)}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(impl->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      *why = Failed("epoll_ctl", errno);
      return nullptr;
    }
  }
  impl->reader = std::thread(&Impl::Read, impl.get());
  *why = Availability{true, true, ""};
  return std::unique_ptr<BpfEvents>(new BpfEvents(std::move(impl)));
}

void BpfEvents::Drain() { impl_->Consume(); }
uint64_t BpfEvents::Lost() const { return impl_->Counter(NETSTAT_LE_LOST); }
uint64_t BpfEvents::AcceptUnkeyed() const { return impl_->Counter(NETSTAT_LE_ACCEPT_UNKEYED); }

std::vector<AcceptCount> BpfEvents::AcceptCounts() const {
  std::vector<AcceptCount> out;
  // The map is bounded (16,384 entries).
  bpf_support::ForEachEntry<netstat_accept_key, uint64_t>(
      impl_->skel->maps.accepted, [&](const netstat_accept_key& k, uint64_t n) {
        out.push_back({k.netns, k.port, n});
      });
  return out;
}

void BpfEvents::ForgetNamespaces(const std::function<bool(uint64_t)>& keep) {
  const bpf_map* map = impl_->skel->maps.accepted;
  for (const AcceptCount& c : AcceptCounts()) {
    if (keep(c.netns)) continue;
    netstat_accept_key key{};
    key.netns = c.netns;
    key.port = c.port;
    bpf_map__delete_elem(map, &key, sizeof key, 0);
  }
}

#else  // !NETSTAT_HAVE_BPF

struct BpfEvents::Impl {};

std::unique_ptr<BpfEvents> BpfEvents::Open(Sink, uint64_t, Availability* why) {
  *why = CheckPrerequisites();
  return nullptr;
}

void BpfEvents::Drain() {}
uint64_t BpfEvents::Lost() const { return 0; }
uint64_t BpfEvents::AcceptUnkeyed() const { return 0; }
std::vector<AcceptCount> BpfEvents::AcceptCounts() const { return {}; }
void BpfEvents::ForgetNamespaces(const std::function<bool(uint64_t)>&) {}

#endif

BpfEvents::BpfEvents(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BpfEvents::~BpfEvents() = default;

}  // namespace netstat::listen_trace
