#include "readers/socket_reading/namespace_tables.h"

#include <linux/netlink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>

#include "readers/netns/netlink_socket_in.h"
#include "readers/socket_table/netlink_socket_table.h"
#include "readers/socket_table/procfs_socket_table.h"

namespace netstat::socket_reading {
namespace {

namespace st = socket_table;

// The procfs root whose net/ files describe the namespace of `pid` ("/proc/0" for none:
// every file is then missing, which reads as "protocol not there").
procfs::Root PidRoot(const procfs::Root& root, int32_t pid) {
  return procfs::Root(root.Proc(std::to_string(pid)), "");
}

}  // namespace

NamespaceTables::NamespaceTables(const procfs::Root& root, const config::NamespacesConfig& config,
                                 int32_t task_list_self_pid)
    : root_(root), config_(config), task_list_self_pid_(task_list_self_pid) {
  std::string error;
  if (task_list_self_pid_ != 0 && !netns::TaskNamespaces::Shared(&error)) {
    spdlog::info("namespaces: finding them with a readlink per process: {}", error);
    task_list_self_pid_ = 0;
  }
}

NamespaceTables::~NamespaceTables() = default;

void NamespaceTables::Refresh() {
  netns::TaskMemo* tasks = nullptr;
  if (task_list_self_pid_ != 0) {
    std::string why;
    if (netns::ReadTasks(task_list_self_pid_, &tasks_.tasks, &why)) {
      tasks = &tasks_;
      if (!task_list_failure_.empty()) spdlog::info("namespaces: the BPF task list works again");
      task_list_failure_.clear();
    } else if (why != task_list_failure_) {
      spdlog::info("namespaces: finding them with a readlink per process: {}", why);
      task_list_failure_ = why;
    }
  }
  netns::Discovery found = netns::Discover(root_, config_.bind_mount_dirs, &bind_mounts_, tasks);
  for (const std::string& error : found.errors) {
    if (logged_errors_.insert(error).second) spdlog::warn("namespaces: {}", error);
  }
  if (found.errors.empty()) logged_errors_.clear();
  own_inode_ = found.own_inode;
  dropped_ = found.foreign.size() > config_.max ? found.foreign.size() - config_.max : 0;
  found.foreign.resize(found.foreign.size() - dropped_);

  std::map<uint64_t, Entry> next;
  for (netns::NamespaceRef& ref : found.foreign) {
    auto it = entries_.find(ref.inode);
    Entry e;
    if (it != entries_.end()) e = std::move(it->second);
    const bool fresh = it == entries_.end();
    // The lowest pid exited: protocols sock_diag lacks are read through the next one.
    if (e.netlink && e.ref.pid != ref.pid) e.netlink->SetFallbackRoot(PidRoot(root_, ref.pid));
    e.ref = std::move(ref);
    e.label = netns::Label(e.ref);
    if (fresh || (!e.netlink && !setns_denied_)) Open(&e);
    next.emplace(e.ref.inode, std::move(e));
  }
  entries_ = std::move(next);  // the namespaces not found again close their sockets here
}

void NamespaceTables::Open(Entry* e) {
  if (!setns_denied_) {
    std::string error;
    int error_number = 0;
    const int fd =
        netns::OpenNetlinkSocketIn(e->ref.path, NETLINK_SOCK_DIAG, &error, &error_number);
    if (fd >= 0) {
      e->netlink = st::NetlinkSocketTable::Adopt(fd, PidRoot(root_, e->ref.pid), &error);
    }
    if (!e->netlink) {
      if (error_number == EPERM) {
        setns_denied_ = true;
        spdlog::warn(
            "namespaces: cannot enter other network namespaces ({}); reading /proc/PID/net "
            "of a process in each instead. The netlink way, faster and able to read "
            "namespaces without a process, needs setns: CAP_SYS_ADMIN and, under systemd, "
            "RestrictNamespaces=net (systemd/all-namespaces.conf)",
            error);
      } else if (error_number != ENOENT && error_number != ESRCH && !e->logged) {
        spdlog::warn("namespaces: {}: {}; reading /proc/{}/net instead", e->label, error,
                     e->ref.pid);
      }
    }
  }
  LogWay(e);
}

void NamespaceTables::LogWay(Entry* e) {
  if (e->logged) return;
  e->logged = true;
  if (e->netlink) {
    spdlog::info("namespaces: netns={} inode={} pid={} read by netlink", e->label, e->ref.inode,
                 e->ref.pid);
  } else if (e->ref.pid != 0) {
    spdlog::info("namespaces: netns={} inode={} pid={} read from {}/{}/net", e->label, e->ref.inode,
                 e->ref.pid, root_.procfs(), e->ref.pid);
  } else {
    spdlog::info(
        "namespaces: netns={} inode={} has no process and cannot be entered; only its "
        "netstat_namespace_info is exported",
        e->label, e->ref.inode);
  }
}

bool NamespaceTables::Gone(const Entry& e) const {
  if (e.netlink) return false;  // our socket holds the namespace
  char link[64] = {};
  const std::string path = root_.Proc(std::to_string(e.ref.pid) + "/ns/net");
  const ssize_t n = readlink(path.c_str(), link, sizeof link - 1);
  return n <= 0 ||
         std::string(link, static_cast<size_t>(n)) != "net:[" + std::to_string(e.ref.inode) + "]";
}

std::vector<uint64_t> NamespaceTables::ReadableInodes() const {
  std::vector<uint64_t> inodes;
  for (const auto& [inode, e] : entries_) {
    if (e.netlink || e.ref.pid != 0) inodes.push_back(inode);
  }
  return inodes;
}

void NamespaceTables::ForEachReadable(const Visit& fn) {
  for (auto& [inode, e] : entries_) {
    NamespaceView view{false, e.label, e.netlink ? st::Source::kNetlink : st::Source::kProcfs,
                       inode};
    view.pid = e.ref.pid;
    if (e.netlink) {
      fn(view, *e.netlink, [] { return false; });
    } else if (e.ref.pid != 0) {
      st::ProcfsSocketTable table(PidRoot(root_, e.ref.pid));
      const Entry& entry = e;
      // Nothing read through the pid (the walk served every protocol): nothing to doubt,
      // and no readlink per namespace per scrape.
      fn(view, table, [this, &entry, &table] { return table.read_any() && Gone(entry); });
    }
  }
}

void NamespaceTables::Describe(NamespacesSeen* out) {
  out->all = true;
  out->namespaces.clear();
  for (auto& [inode, e] : entries_) {
    if (e.identity_pid != e.ref.pid) {
      e.identity = e.ref.pid != 0 ? netns::ReadContainerIdentity(root_, e.ref.pid)
                                  : netns::ContainerIdentity{};
      e.identity_pid = e.ref.pid;
    }
    out->namespaces.push_back({e.label, inode, e.ref.pid, e.identity});
  }
  out->dropped = dropped_;
}

}  // namespace netstat::socket_reading
