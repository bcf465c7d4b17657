#include "readers/bpf_support/bpf_support.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#if NETSTAT_HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <string>
#endif

namespace netstat::bpf_support {

#if NETSTAT_HAVE_BPF

namespace {

#ifndef CAP_PERFMON
constexpr int CAP_PERFMON = 38;
#endif
#ifndef CAP_BPF
constexpr int CAP_BPF = 39;
#endif

int ToDebugLog(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[512];
  const int n = std::vsnprintf(line, sizeof line, format, args);
  std::string text(line, n > 0 ? std::min<size_t>(static_cast<size_t>(n), sizeof line - 1) : 0);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  spdlog::debug("libbpf: {}", text);
  return n;
}

}  // namespace

bool MayLoad() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  auto has = [&data](int cap) { return (data[cap / 32].effective >> (cap % 32)) & 1u; };
  return has(CAP_BPF) && has(CAP_PERFMON);
}

void LogLibbpf() { libbpf_set_print(ToDebugLog); }

bool ReadIterator(int link_fd, std::vector<char>* buffer,
                  const std::function<void(const char*, size_t)>& feed, const std::string& what,
                  std::string* error) {
  const int fd = bpf_iter_create(link_fd);
  if (fd < 0) {
    *error = Errno(("creating " + what).c_str(), errno);
    return false;
  }
  for (;;) {
    const ssize_t n = ::read(fd, buffer->data(), buffer->size());
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      *error = Errno(("reading " + what).c_str(), errno);
      ::close(fd);
      return false;
    }
    feed(buffer->data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return true;
}

#else

bool MayLoad() { return false; }
void LogLibbpf() {}

bool ReadIterator(int, std::vector<char>*, const std::function<void(const char*, size_t)>&,
                  const std::string&, std::string* error) {
  *error = "no BPF support";
  return false;
}

#endif

std::string Errno(const char* what, int error) {
  return std::string(what) + ": " + std::strerror(error);
}

}  // namespace netstat::bpf_support
