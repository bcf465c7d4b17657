#include "daemon/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace netstat::daemon {
namespace {

std::string Failure(const std::string& path, const char* step, int err) {
  return "cannot write " + path + ": " + step + ": " + std::strerror(err);
}

// Writes all of `content`, retrying short writes and EINTR. Returns 0 or an errno.
int WriteAll(int fd, std::string_view content) {
  while (!content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    content.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

}  // namespace

std::string WriteFileAtomically(const std::string& path, std::string_view content) {
  const auto slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base.empty()) return Failure(path, "not a file name", EISDIR);
  const std::string tmp = dir + "/." + base + ".tmp." + std::to_string(::getpid());

  // O_EXCL: never write through a link someone planted under that name. A leftover of a
  // run that was killed (same pid, after a reboot) is removed once.
  constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC;
  int fd = ::open(tmp.c_str(), kFlags, 0644);
  if (fd < 0 && errno == EEXIST && ::unlink(tmp.c_str()) == 0)
    fd = ::open(tmp.c_str(), kFlags, 0644);
  if (fd < 0) return Failure(path, ("creating " + tmp).c_str(), errno);
  int err = WriteAll(fd, content);
  const char* step = "writing";
  if (err == 0 && ::fsync(fd) != 0) {
    err = errno;
    step = "fsync";
  }
  if (::close(fd) != 0 && err == 0) {
    err = errno;
    step = "closing";
  }
  if (err == 0 && ::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    step = "renaming the temporary file over it";
  }
  if (err != 0) {
    ::unlink(tmp.c_str());
    return Failure(path, step, err);
  }
  // Makes the rename durable. A directory that cannot be opened or synced leaves the
  // file complete and in place; that is no reason to report a failure.
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return "";
}

}  // namespace netstat::daemon
