#include "readers/procfs/root.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace netstat::procfs {
namespace {

std::string Join(const std::string& base, std::string_view relative) {
  std::string out = base;
  if (!out.empty() && out.back() != '/') out.push_back('/');
  while (!relative.empty() && relative.front() == '/') relative.remove_prefix(1);
  out.append(relative);
  return out;
}

std::string StripSlash(std::string s) {
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

Root::Root(std::string procfs, std::string sysfs)
    : procfs_(StripSlash(std::move(procfs))), sysfs_(StripSlash(std::move(sysfs))) {}

std::string Root::Proc(std::string_view relative) const { return Join(procfs_, relative); }
std::string Root::Sys(std::string_view relative) const { return Join(sysfs_, relative); }

bool Root::IsLiveProc() const { return procfs_ == "/proc"; }

Site InspectSite(const Root& root) {
  Site site;
  // A fake tree has no self/ns/net; a real procfs mounted elsewhere resolves "self" to
  // this process, whose namespace is ours exactly when netlink and the files agree.
  struct stat theirs {
  }, ours{};
  site.live_network =
      root.IsLiveProc() || (stat(root.Proc("self/ns/net").c_str(), &theirs) == 0 &&
                            stat("/proc/self/ns/net", &ours) == 0 && theirs.st_dev == ours.st_dev &&
                            theirs.st_ino == ours.st_ino);
  char link[32] = {};
  const ssize_t n = readlink(root.Proc("self").c_str(), link, sizeof link - 1);
  if (n > 0) {
    char* end = nullptr;
    const long pid = std::strtol(link, &end, 10);
    if (end != link && *end == '\0' && pid > 0 && pid == static_cast<long>(getpid())) {
      site.self_pid = static_cast<int32_t>(pid);
    }
  }
  return site;
}

int OpenRegular(const std::string& path) {
  // O_NONBLOCK: opening a FIFO without a writer would otherwise wait forever. Symlinks
  // are followed (/proc/net is one); a loop fails with ELOOP.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return -1;
  struct stat st {};
  int err = 0;
  if (::fstat(fd, &st) != 0) {
    err = errno;
  } else if (S_ISDIR(st.st_mode)) {
    err = EISDIR;
  } else if (!S_ISREG(st.st_mode)) {
    err = kNotRegular;
  }
  if (err == 0) return fd;
  ::close(fd);
  errno = err;
  return -1;
}

int ReadFile(const std::string& path, std::string* out, size_t max_bytes, Oversize oversize) {
  out->clear();
  int fd = OpenRegular(path);
  if (fd < 0) return errno;
  char buf[16384];
  for (;;) {
    // One byte past the limit tells "exactly at the limit" from "over it".
    const size_t room = max_bytes + 1 - out->size();
    ssize_t n = ::read(fd, buf, room < sizeof buf ? room : sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return err;
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
    if (out->size() > max_bytes) {
      ::close(fd);
      out->resize(max_bytes);
      if (oversize == Oversize::kKeepPrefix) return 0;
      out->clear();
      return kTooLarge;
    }
  }
  ::close(fd);
  return 0;
}

int ReadTextFile(const std::string& path, std::string* out, bool allow_empty, size_t max_bytes) {
  if (int err = ReadFile(path, out, max_bytes); err != 0) return err;
  if (out->empty()) return allow_empty ? 0 : kEmpty;
  if (out->back() != '\n') {
    out->clear();
    return kTruncated;
  }
  return 0;
}

std::string ErrorText(int err) {
  switch (err) {
    case kNotRegular:
      return "not a regular file";
    case kTooLarge:
      return "larger than the read limit";
    case kTruncated:
      return "truncated (the last line has no newline)";
    case kEmpty:
      return "empty";
    default:
      return std::strerror(err);
  }
}

}  // namespace netstat::procfs
