// Each line's cgroup path is split into components, read from the deepest up:
//   container: "<64 hex>" (cgroupfs drivers: /docker/<id>, /default/<id>, /kubepods/.../<id>)
//              or "<prefix>-<64 hex>" with an optional ".scope" (systemd drivers:
//              docker-, cri-containerd-, crio-, libpod-, nerdctl-); "...conmon-<64 hex>" is
//              the runtime's monitor, not a container;
//   pod:       "pod<uid>" (cgroupfs) or "...-pod<uid>.slice" (systemd, '-' in the uid
//              written as '_').
#include "readers/netns/container_identity.h"

#include "readers/procfs/text.h"

namespace netstat::netns {
namespace {

constexpr size_t kIdChars = 64;
constexpr size_t kUuidChars = 36;       // 8-4-4-4-12
constexpr size_t kStaticPodChars = 32;  // the kubelet's hash uid of a static (file) pod
// v1 has a dozen lines of ~150 bytes; much more than this is not a cgroup file.
constexpr size_t kMaxCgroupBytes = 64 * 1024;

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool AllLowerHex(std::string_view s) {
  for (char c : s) {
    if (!IsLowerHex(c)) return false;
  }
  return true;
}

std::string_view StripSuffix(std::string_view s, std::string_view suffix) {
  if (s.ends_with(suffix)) s.remove_suffix(suffix.size());
  return s;
}

// The container id a path component names, or "".
std::string_view ContainerIdOf(std::string_view component) {
  component = StripSuffix(component, ".scope");
  if (component.size() < kIdChars) return {};
  const std::string_view id = component.substr(component.size() - kIdChars);
  if (!AllLowerHex(id)) return {};
  if (component.size() == kIdChars) return id;
  std::string_view prefix = component.substr(0, component.size() - kIdChars);
  // Without the '-' the hex is the tail of a longer word, not an id.
  if (prefix.back() != '-') return {};
  prefix.remove_suffix(1);
  if (prefix == "conmon" || prefix.ends_with("-conmon")) return {};
  return id;
}

// The pod uid a path component names, dashed, or "".
std::string PodUidOf(std::string_view component) {
  component = StripSuffix(component, ".slice");
  const size_t pos = component.rfind("pod");
  if (pos == std::string_view::npos || (pos != 0 && component[pos - 1] != '-')) return {};
  const std::string_view uid = component.substr(pos + 3);
  if (uid.size() == kStaticPodChars && AllLowerHex(uid)) return std::string(uid);
  if (uid.size() != kUuidChars) return {};
  std::string out(uid);
  for (size_t i = 0; i < out.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (out[i] != '-' && out[i] != '_') return {};
      out[i] = '-';
    } else if (!IsLowerHex(out[i])) {
      return {};
    }
  }
  return out;
}

struct PathIdentity {
  std::string_view container_id;
  std::string pod_uid;
};

PathIdentity ParsePath(std::string_view path) {
  PathIdentity out;
  while (!path.empty() && (out.container_id.empty() || out.pod_uid.empty())) {
    const size_t slash = path.rfind('/');
    const std::string_view component =
        slash == std::string_view::npos ? path : path.substr(slash + 1);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
    if (out.container_id.empty()) out.container_id = ContainerIdOf(component);
    if (out.pod_uid.empty()) out.pod_uid = PodUidOf(component);
  }
  return out;
}

// "12:cpu,cpuacct:/docker/<id>" or "0::/system.slice/..." -> the path; "" for a line that
// is not one.
std::string_view PathOf(std::string_view line) {
  const size_t first = line.find(':');
  if (first == 0 || first == std::string_view::npos) return {};
  for (size_t i = 0; i < first; ++i) {
    if (line[i] < '0' || line[i] > '9') return {};
  }
  const size_t second = line.find(':', first + 1);
  if (second == std::string_view::npos) return {};
  const std::string_view path = line.substr(second + 1);
  if (path.empty() || path.front() != '/') return {};
  return path;
}

// Keeps the first non-empty value; a different one later makes the field uncertain.
void Merge(std::string_view value, std::string* field, bool* conflict) {
  if (value.empty()) return;
  if (field->empty()) {
    field->assign(value);
  } else if (*field != value) {
    *conflict = true;
  }
}

}  // namespace

ContainerIdentity ParseCgroup(std::string_view text) {
  ContainerIdentity out;
  bool id_conflict = false;
  bool pod_conflict = false;
  procfs::ForEachLine(text, [&](std::string_view line, size_t) {
    const std::string_view path = PathOf(procfs::Trim(line));
    if (path.empty()) return;
    const PathIdentity found = ParsePath(path);
    Merge(found.container_id, &out.container_id, &id_conflict);
    Merge(found.pod_uid, &out.pod_uid, &pod_conflict);
  });
  if (id_conflict) out.container_id.clear();
  if (pod_conflict) out.pod_uid.clear();
  return out;
}

ContainerIdentity ReadContainerIdentity(const procfs::Root& root, int32_t pid) {
  std::string text;
  if (pid <= 0 || procfs::ReadTextFile(root.Proc(std::to_string(pid) + "/cgroup"), &text, false,
                                       kMaxCgroupBytes) != 0) {
    return {};
  }
  return ParseCgroup(text);
}

}  // namespace netstat::netns
