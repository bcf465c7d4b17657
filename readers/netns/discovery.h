// Every network namespace on the host, found once per scrape: the ns/net links of
// /proc/[0-9]*/ns/net and the bind mounts that `ip netns add` (/run/netns) and Docker
// (/run/docker/netns) leave behind.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "readers/procfs/root.h"

namespace netstat::netns {

struct NamespaceRef {
  uint64_t inode = 0;  // the namespace's inode number (as in "net:[4026532281]")
  std::string name;    // file name of its bind mount in a bind-mount dir; "" when none
  int32_t pid = 0;     // lowest pid (as numbered in the procfs root) in it; 0 when none
  std::string path;    // opens it: the bind mount when there is one, else <procfs>/PID/ns/net
};

struct Discovery {
  uint64_t own_inode = 0;             // the exporter's own network namespace
  std::vector<NamespaceRef> foreign;  // every other namespace, one per inode, sorted by inode
  std::vector<std::string> errors;    // a procfs or bind-mount dir that exists but cannot be read
};

// Own namespace: readlink(<procfs>/self/ns/net) when it parses, else the inode of the live
// /proc/self/ns/net. Processes that vanish or deny access during the walk are skipped
// silently; so is a missing bind-mount dir. A bind-mount entry counts when its readlink
// text is "net:[N]" (how fake trees express it) or when it is a real nsfs file holding a
// network namespace; anything else (a plain file left by a crashed `ip netns add`, a
// directory) is skipped. Several names for one namespace: the lexicographically smallest
// wins. A bind mount of the own namespace is not foreign. One readlinkat per pid, no
// allocation per pid. Never throws.
Discovery Discover(const procfs::Root& root, const std::vector<std::string>& bind_mount_dirs);

// The `netns` label value: the bind mount's name, else "net:[INODE]".
std::string Label(const NamespaceRef& ns);

// "net:[4026531840]" -> 4026531840; 0 for anything else (pure).
uint64_t ParseNamespaceLink(std::string_view readlink_text);

}  // namespace netstat::netns
