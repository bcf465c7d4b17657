// TEMPORARY (lead's stand-in until the netns library lands).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/procfs/root.h"

namespace netstat::netns {

struct NamespaceRef {
  uint64_t inode = 0;
  std::string name;
  int32_t pid = 0;
  std::string path;
};

struct Discovery {
  uint64_t own_inode = 0;
  std::vector<NamespaceRef> foreign;
  std::vector<std::string> errors;
};

Discovery Discover(const procfs::Root& root, const std::vector<std::string>& bind_mount_dirs);
std::string Label(const NamespaceRef& ns);

struct ContainerIdentity {
  std::string container_id;
  std::string pod_uid;
};
ContainerIdentity ParseCgroup(std::string_view text);
ContainerIdentity ReadContainerIdentity(const procfs::Root& root, int32_t pid);

int OpenNetlinkSocketIn(const std::string& ns_path, int protocol, std::string* error,
                        int* error_number);

}  // namespace netstat::netns
