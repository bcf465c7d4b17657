#include "readers/owners/owner_walk.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "readers/bpf_support/bpf_support.h"

#if NETSTAT_HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

// clang-format off: the layout before the skeleton, which declares variables of its types
#include "readers/owners/owner_layout.h"
#include "socket_fds.skel.h"
// clang-format on
#endif

namespace netstat::owners {

#if NETSTAT_HAVE_BPF

namespace {

using bpf_support::Errno;

// What one read() asks for: the kernel fills at most its 32 KiB buffer per read (about
// 1,000 records), so a bigger buffer only saves nothing.
constexpr size_t kReadBytes = 64 * 1024;

}  // namespace

struct OwnerWalk::Impl {
  socket_fds_bpf* skel = nullptr;
  bpf_link* link = nullptr;
  std::vector<char> buffer = std::vector<char>(kReadBytes);

  ~Impl() {
    bpf_link__destroy(link);
    socket_fds_bpf__destroy(skel);
  }
};

std::shared_ptr<OwnerWalk> OwnerWalk::Shared(std::string* error) {
  static std::mutex mu;
  static std::shared_ptr<OwnerWalk> shared;
  std::lock_guard lock(mu);
  if (shared) return shared;
  if (!bpf_support::MayLoad()) {
    *error = "loading the BPF owner walk needs CAP_BPF and CAP_PERFMON (root has them)";
    return nullptr;
  }
  auto impl = std::make_unique<Impl>();
  impl->skel = socket_fds_bpf__open_and_load();
  if (impl->skel == nullptr) {
    *error = Errno("loading the BPF owner walk (socket_fds.bpf.c)", errno);
    return nullptr;
  }
  if (impl->skel->bss == nullptr) {
    *error = "loading the BPF owner walk: its memory cannot be mapped (kernel before 5.5?)";
    return nullptr;
  }
  impl->link = bpf_program__attach_iter(impl->skel->progs.socket_fds, nullptr);
  if (impl->link == nullptr) {
    *error = Errno("attaching the BPF owner walk to iter/task_file", errno);
    return nullptr;
  }
  shared.reset(new OwnerWalk(std::move(impl)));
  return shared;
}

bool OwnerWalk::Read(HostWalk* out, std::string* error, bool kinds) {
  std::lock_guard lock(mu_);
  *out = HostWalk{};
  // A little more than last time, so that the vector is not grown (and copied) as the
  // records come in.
  out->fds.reserve(last_fds_ + last_fds_ / 16 + 64);
  auto* bss = impl_->skel->bss;
  bss->want_kind = kinds ? 1 : 0;
  bss->last_tgid = 0;
  bss->reader_tgid = 0;
  bss->files = 0;
  bss->processes = 0;
  RecordDecoder decoder(out);
  if (!bpf_support::ReadIterator(
          bpf_link__fd(impl_->link), &impl_->buffer,
          [&decoder](const char* data, size_t n) { decoder.Feed(data, n); },
          "the BPF owner walk's iterator", error)) {
    return false;
  }
  out->reader_pid = static_cast<int32_t>(bss->reader_tgid);
  out->files = bss->files;
  last_fds_ = out->fds.size();
  return decoder.Finish(error);
}

#else  // !NETSTAT_HAVE_BPF

struct OwnerWalk::Impl {};

std::shared_ptr<OwnerWalk> OwnerWalk::Shared(std::string* error) {
  *error = "this build has no BPF support (clang, bpftool, libbpf or BTF missing at build time)";
  return nullptr;
}

bool OwnerWalk::Read(HostWalk*, std::string* error, bool) {
  *error = "no BPF support";
  return false;
}

#endif

OwnerWalk::OwnerWalk(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OwnerWalk::~OwnerWalk() = default;

bool OwnerWalk::Read(std::vector<SocketFd>* out, std::string* error, bool kinds) {
  HostWalk walk;
  if (!Read(&walk, error, kinds)) return false;
  *out = std::move(walk.fds);
  return true;
}

bool ForcedProcWalk() {
  static const bool forced = [] {
    const char* v = std::getenv("NETSTAT_EXPORTER_NO_BPF_OWNERS");
    return v != nullptr && std::strcmp(v, "1") == 0;
  }();
  return forced;
}

namespace {
std::mutex latest_mu;
std::weak_ptr<const SharedHostWalk> latest;
}  // namespace

std::shared_ptr<const SharedHostWalk> ReadHostWalk(int32_t procfs_self_pid, std::string* why,
                                                   bool kinds) {
  if (ForcedProcWalk()) {
    *why = "NETSTAT_EXPORTER_NO_BPF_OWNERS=1 is set";
    return nullptr;
  }
  if (procfs_self_pid == 0) {
    *why = "the procfs is not this system's pid namespace's (no self in it)";
    return nullptr;
  }
  std::shared_ptr<OwnerWalk> walker = OwnerWalk::Shared(why);
  if (!walker) return nullptr;
  auto shared = std::make_shared<SharedHostWalk>();
  shared->started = std::chrono::steady_clock::now();
  if (!walker->Read(&shared->walk, why, kinds)) return nullptr;
  if (shared->walk.reader_pid != procfs_self_pid) {
    *why = "the exporter is not in the initial pid namespace (pid " +
           std::to_string(procfs_self_pid) + " in the procfs, " +
           std::to_string(shared->walk.reader_pid) + " in the initial namespace)";
    return nullptr;
  }
  std::lock_guard lock(latest_mu);
  latest = shared;
  return shared;
}

std::shared_ptr<const SharedHostWalk> LatestHostWalk(std::chrono::steady_clock::time_point since) {
  std::lock_guard lock(latest_mu);
  std::shared_ptr<const SharedHostWalk> walk = latest.lock();
  if (walk && walk->started >= since) return walk;
  return nullptr;
}

}  // namespace netstat::owners
