#include "readers/netns/task_netns.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "readers/bpf_support/bpf_support.h"

#if NETSTAT_HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

// clang-format off: the layout before the skeleton, which declares variables of its types
#include "readers/netns/task_netns_layout.h"
#include "task_netns.skel.h"
// clang-format on
#endif

namespace netstat::netns {

#if NETSTAT_HAVE_BPF

using bpf_support::Errno;

struct TaskNamespaces::Impl {
  task_netns_bpf* skel = nullptr;
  bpf_link* link = nullptr;
  // What one read asks for: the kernel fills at most its 32 KiB buffer per read.
  std::vector<char> buffer = std::vector<char>(64 * 1024);
  std::string partial;  // a record cut by the end of a read

  ~Impl() {
    bpf_link__destroy(link);
    task_netns_bpf__destroy(skel);
  }
};

std::shared_ptr<TaskNamespaces> TaskNamespaces::Shared(std::string* error) {
  static std::mutex mu;
  static std::shared_ptr<TaskNamespaces> shared;
  std::lock_guard lock(mu);
  if (shared) return shared;
  if (!bpf_support::MayLoad()) {
    *error = "loading the BPF task iterator needs CAP_BPF and CAP_PERFMON (root has them)";
    return nullptr;
  }
  auto impl = std::make_unique<Impl>();
  impl->skel = task_netns_bpf__open_and_load();
  if (impl->skel == nullptr) {
    *error = Errno("loading the BPF task iterator (task_netns.bpf.c)", errno);
    return nullptr;
  }
  if (impl->skel->bss == nullptr) {
    *error = "loading the BPF task iterator: its memory cannot be mapped (kernel before 5.5?)";
    return nullptr;
  }
  impl->link = bpf_program__attach_iter(impl->skel->progs.task_netns, nullptr);
  if (impl->link == nullptr) {
    *error = Errno("attaching the BPF task iterator to iter/task", errno);
    return nullptr;
  }
  shared.reset(new TaskNamespaces(std::move(impl)));
  return shared;
}

bool TaskNamespaces::Read(std::vector<TaskNetns>* out, int32_t* reader_pid, std::string* error) {
  std::lock_guard lock(mu_);
  out->clear();
  impl_->skel->bss->reader_tgid = 0;
  impl_->partial.clear();
  auto feed = [this, out](const char* data, size_t n) {
    std::string& bytes = impl_->partial;
    bytes.append(data, n);
    const size_t whole = bytes.size() / sizeof(netstat_task_netns);
    for (size_t i = 0; i < whole; ++i) {
      netstat_task_netns r;
      std::memcpy(&r, bytes.data() + i * sizeof r, sizeof r);
      out->push_back({static_cast<int32_t>(r.tgid), r.euid, r.start_boottime, r.netns});
    }
    bytes.erase(0, whole * sizeof(netstat_task_netns));
  };
  if (!bpf_support::ReadIterator(bpf_link__fd(impl_->link), &impl_->buffer, feed,
                                 "the BPF task iterator", error)) {
    return false;
  }
  if (!impl_->partial.empty()) {
    *error = "the BPF task iterator ended within a record";
    return false;
  }
  *reader_pid = static_cast<int32_t>(impl_->skel->bss->reader_tgid);
  std::sort(out->begin(), out->end(),
            [](const TaskNetns& a, const TaskNetns& b) { return a.pid < b.pid; });
  return true;
}

#else  // !NETSTAT_HAVE_BPF

struct TaskNamespaces::Impl {};

std::shared_ptr<TaskNamespaces> TaskNamespaces::Shared(std::string* error) {
  *error = "this build has no BPF support (clang, bpftool, libbpf or BTF missing at build time)";
  return nullptr;
}

bool TaskNamespaces::Read(std::vector<TaskNetns>*, int32_t*, std::string* error) {
  *error = "no BPF support";
  return false;
}

#endif

TaskNamespaces::TaskNamespaces(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TaskNamespaces::~TaskNamespaces() = default;

bool ReadTasks(int32_t procfs_self_pid, std::vector<TaskNetns>* out, std::string* why) {
  if (procfs_self_pid == 0) {
    *why = "the procfs is not this system's pid namespace's (no self in it)";
    return false;
  }
  std::shared_ptr<TaskNamespaces> tasks = TaskNamespaces::Shared(why);
  if (!tasks) return false;
  int32_t reader = 0;
  if (!tasks->Read(out, &reader, why)) return false;
  if (reader != procfs_self_pid) {
    *why = "the exporter is not in the initial pid namespace (pid " +
           std::to_string(procfs_self_pid) + " in the procfs, " + std::to_string(reader) +
           " in the initial namespace)";
    return false;
  }
  return true;
}

}  // namespace netstat::netns
