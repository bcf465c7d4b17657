// One root for every file the collectors read, built from --path.procfs / --path.sysfs,
// so the whole daemon can run against a fake tree (tests/fixtures).
#pragma once

#include <string>
#include <string_view>

namespace netstat::procfs {

class Root {
 public:
  Root(std::string procfs, std::string sysfs);

  // "net/snmp" -> "<procfs>/net/snmp"; "class/net" -> "<sysfs>/class/net".
  std::string Proc(std::string_view relative) const;
  std::string Sys(std::string_view relative) const;

  const std::string& procfs() const { return procfs_; }
  const std::string& sysfs() const { return sysfs_; }
  // True when procfs is the live /proc of this process's namespace (so netlink
  // answers about the same kernel the files describe).
  bool IsLiveProc() const;

 private:
  std::string procfs_;
  std::string sysfs_;
};

// Reads a whole file into *out. Returns 0 or the errno of the failure (ENOENT for a
// missing file). Works for /proc files whose stat size is 0.
int ReadFile(const std::string& path, std::string* out);

}  // namespace netstat::procfs
