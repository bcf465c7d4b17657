// Capabilities are a per-thread attribute, and so is no_new_privs: capset() and prctl() in
// main would leave the HTTP workers and background collectors, started earlier, with all of
// root's. So the plan is made once, main applies it, every other thread of /proc/self/task
// applies it in a signal handler (raw syscalls only), and /proc/self/task/*/status is read
// back to prove it. Threads started later inherit the reduced sets from their creator.
#include "daemon/privileges.h"

#include <dirent.h>
#include <linux/capability.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <thread>

#include "daemon/exec_filter.h"

namespace netstat::daemon {
namespace {

constexpr uint64_t Bit(int cap) { return uint64_t{1} << cap; }

struct CollectorCapabilities {
  const char* collector;
  uint64_t caps;
};
// Which collector needs which capability, and why. A new need is one row here.
constexpr CollectorCapabilities kCollectorCapabilities[] = {
    // Other users' /proc/PID/fd: the directory is 0500 of its owner (DAC_READ_SEARCH), and
    // reading the links is a ptrace read-access check (SYS_PTRACE). The socket table's
    // SO_RCVBUFFORCE (CAP_NET_ADMIN) falls back to SO_RCVBUF, which is enough for dumps.
    {"listeners", Bit(CAP_DAC_READ_SEARCH) | Bit(CAP_SYS_PTRACE)},
    // The BPF program is loaded when the collector is built, before the drop; it is
    // loaded again on every reload (SIGHUP rebuilds the collectors), which needs both
    // again: CAP_BPF for bpf(), CAP_PERFMON for a tracing program reading kernel memory.
    {"listener_events", Bit(CAP_BPF) | Bit(CAP_PERFMON)},
    {"tcp_health", Bit(CAP_BPF) | Bit(CAP_PERFMON)},
    {"process_sockets", Bit(CAP_DAC_READ_SEARCH) | Bit(CAP_SYS_PTRACE)},
};
// What `namespaces: {mode: all}` adds when a collector that reads every namespace is on
// (the socket readers, and snmp, which reads each namespace's /proc/PID/net/snmp): opening
// another user's /proc/PID/ns/net is a ptrace read-access check (SYS_PTRACE); `ip netns`
// bind mounts are mode 0 files (DAC_READ_SEARCH); setns() into a network namespace
// needs SYS_ADMIN. Without SYS_ADMIN the namespaces are read from /proc/PID/net instead.
constexpr uint64_t kAllNamespacesCapabilities =
    Bit(CAP_SYS_ADMIN) | Bit(CAP_SYS_PTRACE) | Bit(CAP_DAC_READ_SEARCH);
constexpr const char* kSocketReadingCollectors[] = {
    "sockets", "listeners", "process_sockets", "listener_events", "tcp_health", "snmp"};

constexpr const char* kCapabilityNames[] = {"chown",
                                            "dac_override",
                                            "dac_read_search",
                                            "fowner",
                                            "fsetid",
                                            "kill",
                                            "setgid",
                                            "setuid",
                                            "setpcap",
                                            "linux_immutable",
                                            "net_bind_service",
                                            "net_broadcast",
                                            "net_admin",
                                            "net_raw",
                                            "ipc_lock",
                                            "ipc_owner",
                                            "sys_module",
                                            "sys_rawio",
                                            "sys_chroot",
                                            "sys_ptrace",
                                            "sys_pacct",
                                            "sys_admin",
                                            "sys_boot",
                                            "sys_nice",
                                            "sys_resource",
                                            "sys_time",
                                            "sys_tty_config",
                                            "mknod",
                                            "lease",
                                            "audit_write",
                                            "audit_control",
                                            "setfcap",
                                            "mac_override",
                                            "mac_admin",
                                            "syslog",
                                            "wake_alarm",
                                            "block_suspend",
                                            "audit_read",
                                            "perfmon",
                                            "bpf",
                                            "checkpoint_restore"};
constexpr int kNamedCapabilities = sizeof kCapabilityNames / sizeof kCapabilityNames[0];

// Every thread applies the same plan; the signal handler can only read globals.
struct Plan {
  uint64_t keep = 0;
  int last_cap = 0;
  bool drop_bounding = false;  // CAP_SETPCAP held and the bounding set has more than `keep`
  bool set_caps = false;       // some effective/permitted/inheritable bit goes
  __user_cap_data_struct data[2] = {};
};
Plan g_plan;
std::atomic<int> g_acks{0};
std::atomic<int> g_first_error{0};

// Async-signal-safe: raw syscalls on the calling thread only. Goes on after a failed step,
// so that no_new_privs is set whatever happens. Returns 0 or the first errno.
int ApplyToThisThread() {
  const Plan& p = g_plan;
  int error = 0;
  auto check = [&error](bool ok) {
    if (!ok && error == 0) error = errno;
  };
  for (int cap = 0; cap <= p.last_cap; ++cap) {
    if (p.keep & Bit(cap)) continue;
    if (p.drop_bounding && prctl(PR_CAPBSET_READ, cap, 0L, 0L, 0L) == 1) {
      check(prctl(PR_CAPBSET_DROP, cap, 0L, 0L, 0L) == 0);
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0L, 0L) == 1) {
      check(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, cap, 0L, 0L) == 0);
    }
  }
  if (p.set_caps) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {p.data[0], p.data[1]};
    check(syscall(SYS_capset, &header, data) == 0);
  }
  check(prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) == 0);
  return error;
}

void OnDropSignal(int) {
  const int saved = errno;
  std::atomic_thread_fence(std::memory_order_acquire);  // pairs with the fence in Broadcast
  const int error = ApplyToThisThread();
  int none = 0;
  if (error != 0) g_first_error.compare_exchange_strong(none, error);
  g_acks.fetch_add(1);
  errno = saved;
}

uint64_t Join(uint32_t low, uint32_t high) { return (uint64_t{high} << 32) | low; }

bool ReadCurrent(__user_cap_data_struct data[2]) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  return syscall(SYS_capget, &header, data) == 0;
}

std::set<pid_t> Threads() {
  std::set<pid_t> tids;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return tids;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] >= '0' && e->d_name[0] <= '9') tids.insert(std::atoi(e->d_name));
  }
  closedir(dir);
  return tids;
}

// Signals every other thread until a listing shows none that has not been asked.
void Broadcast() {
  const int sig = SIGRTMIN + 4;
  struct sigaction action {};
  action.sa_handler = OnDropSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(sig, &action, nullptr);
  std::set<pid_t> asked{static_cast<pid_t>(syscall(SYS_gettid))};
  std::atomic_thread_fence(std::memory_order_release);  // g_plan is written before the signals
  int sent = 0;
  for (int round = 0; round < 20; ++round) {
    bool any = false;
    for (pid_t tid : Threads()) {
      if (!asked.insert(tid).second) continue;
      if (syscall(SYS_tgkill, getpid(), tid, sig) != 0) continue;  // it has exited
      ++sent;
      any = true;
    }
    if (!any) break;
    // A thread that exits before handling the signal never answers; the check after this
    // only looks at the threads that are still there.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (g_acks.load() < sent && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  // A late signal is dropped rather than killing the process (the default for RT signals).
  signal(sig, SIG_IGN);
}

// "" when every live thread holds no more than the plan keeps and has no_new_privs.
std::string Verify() {
  const pid_t pid = getpid();
  for (pid_t tid : Threads()) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status");
    if (!in) continue;  // the thread has exited
    for (std::string line; std::getline(in, line);) {
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      const std::string key = line.substr(0, colon);
      const std::string value = line.substr(colon + 1);
      if (key == "NoNewPrivs" && std::strtoul(value.c_str(), nullptr, 10) != 1) {
        return "thread " + std::to_string(tid) + " has no no_new_privs";
      }
      const bool capability_set = key == "CapEff" || key == "CapPrm" || key == "CapInh" ||
                                  key == "CapAmb" || (key == "CapBnd" && g_plan.drop_bounding);
      if (!capability_set) continue;
      const uint64_t extra = std::strtoull(value.c_str(), nullptr, 16) & ~g_plan.keep;
      if (extra != 0) {
        return "thread " + std::to_string(tid) + " still holds " + CapabilityNames(extra) + " in " +
               key;
      }
    }
  }
  return "";
}

}  // namespace

uint64_t NeededCapabilities(const std::vector<std::string>& enabled_collectors,
                            bool all_namespaces) {
  uint64_t mask = 0;
  for (const auto& name : enabled_collectors) {
    for (const auto& row : kCollectorCapabilities) {
      if (name == row.collector) mask |= row.caps;
    }
    for (const char* reader : kSocketReadingCollectors) {
      if (all_namespaces && name == reader) mask |= kAllNamespacesCapabilities;
    }
  }
  return mask;
}

std::string CapabilityNames(uint64_t mask) {
  std::string out;
  for (int cap = 0; cap < 64; ++cap) {
    if (!(mask & Bit(cap))) continue;
    if (!out.empty()) out += ",";
    out += cap < kNamedCapabilities ? std::string("cap_") + kCapabilityNames[cap]
                                    : "cap_" + std::to_string(cap);
  }
  return out.empty() ? "none" : out;
}

std::string DropUnneededCapabilities(const std::vector<std::string>& enabled_collectors,
                                     bool all_namespaces) {
  __user_cap_data_struct current[2] = {};
  if (!ReadCurrent(current)) {
    const std::string error = std::string("capget: ") + std::strerror(errno);
    spdlog::warn("capabilities not dropped: {}", error);
    return error;
  }
  Plan plan;
  plan.keep = NeededCapabilities(enabled_collectors, all_namespaces);
  uint64_t bounding = 0;
  for (int cap = 0; cap < 64 && prctl(PR_CAPBSET_READ, cap, 0L, 0L, 0L) >= 0; ++cap) {
    plan.last_cap = cap;
    if (prctl(PR_CAPBSET_READ, cap, 0L, 0L, 0L) == 1) bounding |= Bit(cap);
  }
  const uint64_t effective = Join(current[0].effective, current[1].effective);
  const uint64_t permitted = Join(current[0].permitted, current[1].permitted);
  const uint64_t inheritable = Join(current[0].inheritable, current[1].inheritable);
  // Dropping from the bounding set needs CAP_SETPCAP; without it no_new_privs already stops
  // an exec from gaining anything through it.
  plan.drop_bounding = (effective & Bit(CAP_SETPCAP)) && (bounding & ~plan.keep);
  plan.set_caps = ((effective | permitted | inheritable) & ~plan.keep) != 0;
  for (int i = 0; i < 2; ++i) {
    const uint32_t keep = static_cast<uint32_t>(plan.keep >> (32 * i));
    plan.data[i] = {current[i].effective & keep, current[i].permitted & keep,
                    current[i].inheritable & keep};
  }
  g_plan = plan;

  int error = ApplyToThisThread();
  Broadcast();
  if (error == 0) error = g_first_error.load();
  std::string failure = error != 0 ? std::string("dropping: ") + std::strerror(error) : Verify();
  // Now that no thread can gain privileges, make exec fail too; optional, so only logged.
  const std::string exec_filter = DenyExec();
  if (!failure.empty()) {
    spdlog::warn("capabilities not fully dropped (held={}, needed={}): {}",
                 CapabilityNames(permitted), CapabilityNames(plan.keep), failure);
    return failure;
  }
  spdlog::debug(
      "capabilities kept={} (needed by the enabled collectors) dropped={} bounding_set={} "
      "no_new_privs=1 exec_filter={} threads={}",
      CapabilityNames(permitted & plan.keep), CapabilityNames(permitted & ~plan.keep),
      !(bounding & ~plan.keep) ? "within kept"
      : plan.drop_bounding     ? "reduced to kept"
                               : "unchanged (no cap_setpcap)",
      exec_filter.empty() ? "on" : "off (" + exec_filter + ")", Threads().size());
  return "";
}

}  // namespace netstat::daemon
