#include "collectors/socket_table/procfs_socket_table.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "collectors/socket_table/proc_net_parser.h"

namespace netstat::socket_table {
namespace {

// A /proc/net/tcp line is 150 bytes; unix lines carry a path of up to 108 bytes.
constexpr size_t kBufferSize = 64 * 1024;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

const char* ProcNetFile(Protocol protocol, Family family) {
  const bool v6 = family == Family::kIpv6;
  switch (protocol) {
    case Protocol::kTcp:
      return v6 ? "tcp6" : "tcp";
    case Protocol::kUdp:
      return v6 ? "udp6" : "udp";
    case Protocol::kUdpLite:
      return v6 ? "udplite6" : "udplite";
    case Protocol::kRaw:
      return v6 ? "raw6" : "raw";
    default:
      return nullptr;
  }
}

ProcfsSocketTable::ProcfsSocketTable(procfs::Root root) : root_(std::move(root)) {}

DumpResult ProcfsSocketTable::ForEachLine(const char* name,
                                          const std::function<bool(std::string_view)>& line_fn) {
  DumpResult result;
  const std::string path = root_.Proc(std::string("net/") + name);
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    result.supported = errno != ENOENT;  // no such protocol in this kernel
    result.ok = !result.supported;
    if (!result.ok) result.error = path + ": " + std::strerror(errno);
    return result;
  }
  if (buffer_.size() != kBufferSize) buffer_.resize(kBufferSize);
  size_t used = 0;
  bool header = true;
  bool overlong = false;  // inside a line longer than the buffer: drop it
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer_.data() + used, buffer_.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result.ok = false;
      result.error = path + ": " + std::strerror(errno);
      return result;
    }
    const bool eof = n == 0;
    used += static_cast<size_t>(n);
    std::string_view data(buffer_.data(), used);
    size_t start = 0;
    for (size_t nl; (nl = data.find('\n', start)) != std::string_view::npos; start = nl + 1) {
      if (overlong) {
        overlong = false;
        ++malformed_;
      } else if (header) {
        header = false;
      } else {
        if (!line_fn(data.substr(start, nl - start))) return result;
      }
    }
    if (eof) {
      if (start < used && !overlong && !header) line_fn(data.substr(start));
      return result;
    }
    if (start == 0 && used == buffer_.size()) {
      overlong = true;  // no newline in a full buffer
      used = 0;
      continue;
    }
    std::memmove(buffer_.data(), buffer_.data() + start, used - start);
    used -= start;
  }
}

DumpResult ProcfsSocketTable::DumpInet(Protocol protocol, Family family, uint32_t states,
                                       const std::function<void(const InetSocket&)>& visit) {
  malformed_ = 0;
  const char* name = ProcNetFile(protocol, family);
  if (name == nullptr) return DumpResult{false, true, "not an inet protocol", false};
  // The kernel prints the listening hash before the established one, so a dump of TCP
  // listeners alone can stop at the first socket in another state: it then reads the
  // listeners, not the whole (possibly 30 MB) file.
  const bool listeners_only = protocol == Protocol::kTcp && states == StateBit(kListen);
  InetSocket s;
  return ForEachLine(name, [&](std::string_view line) {
    if (!ParseInetLine(line, protocol, family, &s)) {
      ++malformed_;
    } else if (s.state < 32 && (states & StateBit(s.state))) {
      visit(s);
    } else if (listeners_only) {
      return false;
    }
    return true;
  });
}

DumpResult ProcfsSocketTable::DumpUnix(const std::function<void(const UnixSocket&)>& visit) {
  malformed_ = 0;
  UnixSocket s;
  return ForEachLine("unix", [&](std::string_view line) {
    if (ParseUnixLine(line, &s)) {
      visit(s);
    } else {
      ++malformed_;
    }
    return true;
  });
}

}  // namespace netstat::socket_table
