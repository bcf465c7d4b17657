#include "collectors/snmp/namespace_snmp.h"

#include <unistd.h>

#include <cerrno>

namespace netstat::snmp {
namespace {

// Whether <procfs>/PID/ns/net still names the namespace: a pid that exited may be reused
// by a process of another namespace between the discovery and this read.
bool StillIn(const procfs::Root& root, int32_t pid, uint64_t inode) {
  char link[64] = {};
  const std::string path = root.Proc(std::to_string(pid) + "/ns/net");
  const ssize_t n = readlink(path.c_str(), link, sizeof link - 1);
  return n > 0 &&
         std::string(link, static_cast<size_t>(n)) == "net:[" + std::to_string(inode) + "]";
}

}  // namespace

NamespaceFields ReadNamespaceFields(const procfs::Root& root, int32_t pid, uint64_t inode,
                                    FieldPicker* picker) {
  NamespaceFields r;
  const std::string dir = std::to_string(pid) + "/net/";
  for (auto [name, fields] : {std::pair{"snmp", &r.snmp}, std::pair{"netstat", &r.netstat}}) {
    const std::string path = root.Proc(dir + name);
    std::string text;
    if (int err = procfs::ReadTextFile(path, &text)) {
      r.errors.push_back(path + ": " + procfs::ErrorText(err));
      continue;
    }
    ParseResult parsed = picker->Parse(text);
    for (auto& e : parsed.errors) r.errors.push_back(path + ": " + e);
    *fields = std::move(parsed.fields);
  }
  // Checked after the reads: a process that exits mid-read leaves vanished or cut files,
  // and then none of what was read is trusted.
  if (!StillIn(root, pid, inode)) {
    r.gone = true;
    r.snmp.clear();
    r.netstat.clear();
    r.errors.clear();
  }
  return r;
}

}  // namespace netstat::snmp
