// The other network namespaces of the host, for `namespaces: {mode: all}`. Each run
// rediscovers them (netns::Discover: /proc/*/ns/net and the bind mounts of `ip netns`,
// CNI and Docker) and reads each in one of two ways, logged once per namespace:
//   - netlink: a sock_diag socket created inside the namespace (setns on a short-lived
//     thread). It stays bound to the namespace and is kept across runs; it is closed
//     when discovery no longer finds the namespace. Needs CAP_SYS_ADMIN.
//   - procfs: /proc/PID/net/* of the namespace's lowest pid, when setns is refused. A
//     namespace without a process (a bind mount only) cannot be read this way: it keeps
//     its netstat_namespace_info series and nothing else.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "readers/netns/container_identity.h"
#include "readers/netns/discovery.h"
#include "readers/procfs/root.h"
#include "readers/socket_reading/socket_consumer.h"
#include "readers/socket_table/netlink_socket_table.h"
#include "readers/socket_table/socket_table.h"

namespace netstat::socket_reading {

class NamespaceTables {
 public:
  // `task_list_self_pid`: procfs::Site::self_pid to find the processes' namespaces with
  // the BPF task iterator (netns/task_netns.h, loaded here, at start); 0: readlinks only.
  NamespaceTables(const procfs::Root& root, const config::NamespacesConfig& config,
                  int32_t task_list_self_pid = 0);
  ~NamespaceTables();

  // This run's namespaces: opens what is new, closes what is gone, applies the cap.
  void Refresh();

  // The own namespace's inode, from the last Refresh.
  uint64_t own_inode() const { return own_inode_; }
  // The inodes ForEachReadable will visit, in its order.
  std::vector<uint64_t> ReadableInodes() const;

  // fn(view, table, gone) for every namespace within the cap whose sockets can be read,
  // in inode order. gone() tells, after a failed or empty read, whether the namespace
  // vanished meanwhile.
  using Visit = std::function<void(const NamespaceView&, socket_table::SocketTable&,
                                   const std::function<bool()>&)>;
  void ForEachReadable(const Visit& fn);

  // The namespaces within the cap (with their container identity, read again only when
  // the lowest pid changed) and how many the cap left out.
  void Describe(NamespacesSeen* out);

 private:
  struct Entry {
    netns::NamespaceRef ref;
    std::string label;
    std::unique_ptr<socket_table::NetlinkSocketTable> netlink;  // null: /proc/PID/net
    bool logged = false;
    int32_t identity_pid = -1;  // the pid `identity` was read for
    netns::ContainerIdentity identity;
  };

  void Open(Entry* e);
  void LogWay(Entry* e);
  bool Gone(const Entry& e) const;

  procfs::Root root_;
  config::NamespacesConfig config_;
  std::map<uint64_t, Entry> entries_;  // by inode
  netns::BindMountMemo bind_mounts_;
  int32_t task_list_self_pid_ = 0;  // 0: no BPF task list
  netns::TaskMemo tasks_;
  std::string task_list_failure_;  // why the last discovery did without the list
  uint64_t dropped_ = 0;
  uint64_t own_inode_ = 0;
  bool setns_denied_ = false;
  std::set<std::string> logged_errors_;
};

}  // namespace netstat::socket_reading
