#include "collectors/procfs/root.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

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

int ReadFile(const std::string& path, std::string* out) {
  out->clear();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return err;
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return 0;
}

}  // namespace netstat::procfs
