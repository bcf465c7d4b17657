// One root for every file the collectors read, built from --path.procfs / --path.sysfs,
// so the whole daemon can run against a fake tree (tests/fixtures), and the one guarded
// way to read a file of that tree.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
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
  // True when procfs is this system's own /proc, so that names (NSS users) and files
  // are this process's own. Whether netlink answers for the tree is Site's question.
  bool IsLiveProc() const;

 private:
  std::string procfs_;
  std::string sysfs_;
};

// What the tree under a root is. Decided once, when the collectors are built, and carried
// to each of them in their Environment, so that every collector answers "is this the live
// kernel?" the same way.
struct Site {
  // <procfs> is a real procfs of this process's network namespace (/proc, or the host's
  // /proc mounted at /host/proc by a pod on the host network): netlink (sock_diag,
  // rtnetlink) answers about the very sockets and routes its net/ files list.
  bool live_network = false;
  // This process as numbered in <procfs>; 0 when it is not there (a fake tree, or a
  // procfs of another pid namespace).
  int32_t self_pid = 0;
};
Site InspectSite(const Root& root);

// Read limits. A scrape must never read without bound, whatever sits at a path.
// Whole files: the largest real one read whole is /proc/net/route or ipv6_route on a
// router (~130-150 bytes a route: 32 MiB is ~220k routes; beyond that rtnetlink is the
// source on a live kernel anyway) or /proc/net/dev with thousands of veths (~200 bytes
// each). Parsing 32 MiB takes well under a second.
constexpr size_t kMaxFileBytes = 32u << 20;
// One sysfs attribute is at most a page; /proc/PID/stat is one line of ~300 bytes.
constexpr size_t kMaxAttributeBytes = 4096;

// Errors of our own, beside the kernel's errno values (ErrorText names them):
constexpr int kNotRegular = ENXIO;   // a FIFO, socket or device where a file should be
constexpr int kTooLarge = EFBIG;     // more bytes than the limit
constexpr int kTruncated = EBADMSG;  // text whose last line has no '\n'
constexpr int kEmpty = ENODATA;      // a kernel file that is never empty was

enum class Oversize { kFail, kKeepPrefix };

// Reads a whole file into *out. Returns 0 or the errno of the failure (ENOENT for a
// missing file). Works for /proc files whose stat size is 0. Never blocks: the file is
// opened O_NONBLOCK and anything but a regular file is refused (kNotRegular); a symlink
// loop gives ELOOP. More than max_bytes gives kTooLarge, or with kKeepPrefix success
// and the first max_bytes bytes.
int ReadFile(const std::string& path, std::string* out, size_t max_bytes = kMaxFileBytes,
             Oversize oversize = Oversize::kFail);

// ReadFile for kernel text: also refuses text whose last line was cut (kTruncated: the
// kernel ends every line with '\n') and, unless allow_empty, an empty file (kEmpty).
int ReadTextFile(const std::string& path, std::string* out, bool allow_empty = false,
                 size_t max_bytes = kMaxFileBytes);

// Opens `path` for reading without blocking, refusing what is not a regular file.
// Returns the fd, or -1 with errno set (kNotRegular for a FIFO, socket or device).
int OpenRegular(const std::string& path);

// strerror, with words for the errors above.
std::string ErrorText(int err);

}  // namespace netstat::procfs
