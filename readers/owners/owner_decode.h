// The pure side of the BPF owner walk (socket_fds.bpf.c): the records it writes, decoded
// from the bytes read off its iterator, put in ascending pid order, and the choice of
// each socket's owner (the lowest pid holding it, as a /proc/*/fd walk in ascending pid
// order finds it). No I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace netstat::owners {

// What the kernel says the socket is (struct socket and its struct sock), in 8 bytes so
// that a walk of 200k sockets holds 24 bytes a socket. No socket type: a TCP socket
// (the one use of kinds outside tests) is always SOCK_STREAM.
struct SocketKind {
  uint32_t netns = 0;     // its network namespace's inode (net:[INODE]); 0 without a sock
  uint16_t protocol = 0;  // IPPROTO_* for inet sockets
  uint8_t family = 0;     // AF_INET, AF_INET6, AF_UNIX, AF_NETLINK...; 0 without a sock
  uint8_t state = 0;      // TCP_* codes for inet, SS_*-like for unix (sk_state)
  bool operator==(const SocketKind&) const = default;
};
static_assert(sizeof(SocketKind) == 8);

// One socket file descriptor. pid is the process's number in the initial (host) pid
// namespace (task->tgid), which is what the host's /proc calls it.
struct SocketFd {
  int32_t pid = 0;
  int32_t fd = 0;
  uint64_t inode = 0;  // as in /proc/PID/fd/FD -> socket:[INODE]
  SocketKind kind;
  bool operator==(const SocketFd&) const = default;
};
static_assert(sizeof(SocketFd) == 24);

// A process holding sockets, as the kernel had it when its fds were listed.
struct ProcessSeen {
  int32_t pid = 0;
  uint64_t start_boottime_ns = 0;  // task->start_boottime: see StartTicks
  std::string comm;                // 15 bytes at most, like /proc/PID/stat's
  size_t first = 0;                // its fds: HostWalk::fds[first, last)
  size_t last = 0;
};

// One pass over every socket fd of the host.
struct HostWalk {
  std::vector<SocketFd> fds;           // ascending (pid, fd)
  std::vector<ProcessSeen> processes;  // ascending pid, each with at least one fd
  int32_t reader_pid = 0;              // the reading process, in the initial namespace
  uint64_t files = 0;                  // open files looked at (about: see the program)
};

// Turns the bytes read off the iterator into a HostWalk. A record may straddle two
// reads; Feed keeps the part until the rest comes.
class RecordDecoder {
 public:
  explicit RecordDecoder(HostWalk* out) : out_(out) {}
  void Feed(const char* data, size_t n);
  // Sorts and indexes what was fed. False, with the reason, when a partial record is
  // left over, or an fd came without its process's record.
  bool Finish(std::string* error);

  static constexpr size_t kRecordBytes = 32;

 private:
  void Record(const char* r);

  HostWalk* out_;
  std::string partial_;
  int32_t current_ = 0;  // pid of the last task record
  bool orphan_ = false;  // an fd record whose pid had no task record before it
};

// /proc/PID/stat's starttime (clock ticks since boot) from task->start_boottime, as the
// kernel computes it (nsec_to_clock_t) in the initial time namespace.
uint64_t StartTicks(uint64_t start_boottime_ns, long ticks_per_second);

// Each inode's owner in a walk: its lowest pid, and that pid's lowest fd for it.
std::unordered_map<uint64_t, SocketFd> LowestPidOwners(const std::vector<SocketFd>& sorted);

// The comm a record carries, up to its NUL.
std::string_view CommOf(const char (&comm)[16]);

}  // namespace netstat::owners
