#include "readers/socket_table/procfs_socket_table.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>

#include "readers/procfs/root.h"
#include "readers/procfs/text.h"
#include "readers/socket_table/proc_net_parser.h"

namespace netstat::socket_table {
namespace {

// A /proc/net/tcp line is 150 bytes; unix lines carry a path of up to 108 bytes.
constexpr size_t kBufferSize = 64 * 1024;
// No table is read past this. 200k TCP sockets make a 30 MB /proc/net/tcp; 256 MiB is
// ~1.7M sockets, and even that much is read and parsed in about a second (measured:
// see tests/e2e/hostile_tree_test.sh), well inside a scrape timeout.
constexpr size_t kMaxTableBytes = 256u << 20;

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

// "%pK: %08X %08X %08X %04X %02X %5lu" and then " path" when bound: 8+ fields.
bool HasUnixPath(std::string_view line) {
  std::array<std::string_view, 7> fields;
  return procfs::SplitFields(line, &fields) > fields.size();
}

// Whether `line` begins as a socket line does, with "<hex>:".
bool StartsUnixEntry(std::string_view line) {
  const size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  for (char c : line.substr(0, colon)) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

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

DumpResult ProcfsSocketTable::ForEachLine(const char* name, std::string_view header_word,
                                          const std::function<Verdict(std::string_view)>& line_fn) {
  DumpResult result;
  read_any_ = true;
  const std::string path = root_.Proc(std::string("net/") + name);
  auto fail = [&](const std::string& why) {
    result.ok = false;
    result.error = path + ": " + why;
    return result;
  };
  Fd fd(procfs::OpenRegular(path));
  if (fd.get() < 0) {
    if (errno == ENOENT) {  // no such protocol in this kernel
      result.supported = false;
      return result;
    }
    return fail(procfs::ErrorText(errno));
  }
  // Per dump, not per table: a host with hundreds of namespaces keeps one table each.
  std::unique_ptr<char[]> buffer(new char[kBufferSize]);
  size_t used = 0;
  size_t total = 0;
  uint64_t line_no = 0;
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer.get() + used, kBufferSize - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(std::strerror(errno));
    total += static_cast<size_t>(n);
    if (total > kMaxTableBytes) return fail(procfs::ErrorText(procfs::kTooLarge));
    if (n == 0) {  // the kernel ends every line, the header too, with '\n'
      if (used > 0) return fail("line " + std::to_string(line_no + 1) + ": truncated");
      if (line_no == 0) return fail(procfs::ErrorText(procfs::kEmpty));
      return result;
    }
    used += static_cast<size_t>(n);
    std::string_view data(buffer.get(), used);
    size_t start = 0;
    for (size_t nl; (nl = data.find('\n', start)) != std::string_view::npos; start = nl + 1) {
      const std::string_view line = data.substr(start, nl - start);
      if (++line_no == 1) {
        if (line.find(header_word) == std::string_view::npos) return fail("line 1: not the header");
        continue;
      }
      switch (line_fn(line)) {
        case Verdict::kNext:
          break;
        case Verdict::kStop:
          return result;
        case Verdict::kMalformed:
          return fail("line " + std::to_string(line_no) + ": malformed");
      }
    }
    if (start == 0 && used == kBufferSize) {
      return fail("line " + std::to_string(line_no + 1) + ": longer than " +
                  std::to_string(kBufferSize) + " bytes");
    }
    std::memmove(buffer.get(), buffer.get() + start, used - start);
    used -= start;
  }
}

DumpResult ProcfsSocketTable::DumpInet(Protocol protocol, Family family, uint32_t states,
                                       const std::function<void(const InetSocket&)>& visit) {
  const char* name = ProcNetFile(protocol, family);
  if (name == nullptr) return DumpResult{false, true, "not an inet protocol", false};
  // The kernel prints the listening hash before the established one, so a dump of TCP
  // listeners alone can stop at the first socket in another state: it then reads the
  // listeners, not the whole (possibly 30 MB) file.
  const bool listeners_only = protocol == Protocol::kTcp && states == StateBit(kListen);
  InetSocket s;
  return ForEachLine(name, "local_address", [&](std::string_view line) {
    if (!ParseInetLine(line, protocol, family, &s)) return Verdict::kMalformed;
    if (s.state < 32 && (states & StateBit(s.state))) {
      visit(s);
    } else if (listeners_only) {
      return Verdict::kStop;
    }
    return Verdict::kNext;
  });
}

DumpResult ProcfsSocketTable::DumpUnix(const std::function<void(const UnixSocket&)>& visit) {
  UnixSocket s;
  bool in_path = false;  // the last socket line ended in a path
  return ForEachLine("unix", "Inode", [&](std::string_view line) {
    if (ParseUnixLine(line, &s)) {
      visit(s);
      in_path = HasUnixPath(line);
      return Verdict::kNext;
    }
    // The kernel prints a path's bytes as they are, '\n' included: any user can bind
    // "/tmp/a\nb". What follows such a path up to the next socket line is the path.
    if (in_path && !StartsUnixEntry(line)) return Verdict::kNext;
    return Verdict::kMalformed;
  });
}

}  // namespace netstat::socket_table
