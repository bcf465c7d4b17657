// Which container and Kubernetes pod a process belongs to, from the cgroup path the
// runtime put it in (/proc/PID/cgroup). Docker, containerd, CRI-O and Podman name their
// cgroups after the 64-hex container id; the kubelet names a pod's cgroup after its uid.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "readers/procfs/root.h"

namespace netstat::netns {

struct ContainerIdentity {
  std::string container_id;  // 64 lowercase hex characters, or ""
  std::string pod_uid;       // 8-4-4-4-12 dashed (or a static pod's 32-hex uid), or ""
};

// Parses a whole /proc/PID/cgroup text, cgroup v1 ("N:controllers:/path" lines) or v2
// ("0::/path"). In each path the deepest component naming a container wins (nested
// runtimes such as kind put the inner container below the outer one), likewise for the
// pod. A conmon monitor's scope ("crio-conmon-<id>", "libpod-conmon-<id>") names no
// container. Lines that disagree leave the field empty: only what is certain is returned.
// Truncated or garbage input gives empty fields, never a crash.
ContainerIdentity ParseCgroup(std::string_view proc_pid_cgroup_text);

// Reads <procfs>/PID/cgroup and parses it; both fields empty on any failure.
ContainerIdentity ReadContainerIdentity(const procfs::Root& root, int32_t pid);

}  // namespace netstat::netns
