#include "readers/owners/owner_decode.h"

#include <linux/types.h>

#include <algorithm>
#include <cstring>

#include "readers/owners/owner_layout.h"

namespace netstat::owners {

static_assert(sizeof(netstat_owner_record) == RecordDecoder::kRecordBytes);

std::string_view CommOf(const char (&comm)[16]) {
  return std::string_view(comm, strnlen(comm, sizeof comm));
}

void RecordDecoder::Record(const char* bytes) {
  netstat_owner_record r;
  std::memcpy(&r, bytes, sizeof r);
  const auto pid = static_cast<int32_t>(r.tgid);
  if (r.fd == NETSTAT_OWNER_TASK_RECORD) {
    ProcessSeen p;
    p.pid = pid;
    p.start_boottime_ns = r.task.start_boottime;
    p.comm = std::string(CommOf(r.task.comm));
    out_->processes.push_back(std::move(p));
    current_ = pid;
    return;
  }
  if (r.fd < 0) return;  // no such record: ignored
  if (pid != current_) orphan_ = true;
  SocketFd s;
  s.pid = pid;
  s.fd = r.fd;
  s.inode = r.sock.inode;
  s.kind.netns = r.sock.netns;
  s.kind.protocol = r.sock.protocol;
  s.kind.family = static_cast<uint8_t>(r.sock.family);
  s.kind.state = r.sock.state;
  out_->fds.push_back(s);
}

void RecordDecoder::Feed(const char* data, size_t n) {
  if (!partial_.empty()) {
    const size_t take = std::min(n, kRecordBytes - partial_.size());
    partial_.append(data, take);
    data += take;
    n -= take;
    if (partial_.size() < kRecordBytes) return;
    Record(partial_.data());
    partial_.clear();
  }
  for (; n >= kRecordBytes; data += kRecordBytes, n -= kRecordBytes) Record(data);
  partial_.assign(data, n);
}

bool RecordDecoder::Finish(std::string* error) {
  if (!partial_.empty()) {
    *error = "the BPF owner walk ended inside a record (" + std::to_string(partial_.size()) +
             " of " + std::to_string(kRecordBytes) + " bytes)";
    return false;
  }
  if (orphan_) {
    *error = "the BPF owner walk listed a socket fd before its process";
    return false;
  }
  auto& fds = out_->fds;
  auto& procs = out_->processes;
  // The iterator goes in ascending pid order already; sorting keeps it true whatever
  // the kernel does (a sorted input costs one pass).
  auto by_pid_fd = [](const SocketFd& a, const SocketFd& b) {
    return a.pid != b.pid ? a.pid < b.pid : a.fd < b.fd;
  };
  if (!std::is_sorted(fds.begin(), fds.end(), by_pid_fd)) {
    std::sort(fds.begin(), fds.end(), by_pid_fd);
  }
  std::stable_sort(procs.begin(), procs.end(),
                   [](const ProcessSeen& a, const ProcessSeen& b) { return a.pid < b.pid; });
  // One record per pid (the first), each with its range of fds.
  procs.erase(
      std::unique(procs.begin(), procs.end(),
                  [](const ProcessSeen& a, const ProcessSeen& b) { return a.pid == b.pid; }),
      procs.end());
  size_t i = 0;
  std::vector<ProcessSeen> kept;
  kept.reserve(procs.size());
  for (ProcessSeen& p : procs) {
    while (i < fds.size() && fds[i].pid < p.pid) ++i;
    p.first = i;
    while (i < fds.size() && fds[i].pid == p.pid) ++i;
    p.last = i;
    if (p.last > p.first) kept.push_back(std::move(p));
  }
  procs = std::move(kept);
  return true;
}

uint64_t StartTicks(uint64_t start_boottime_ns, long ticks_per_second) {
  constexpr uint64_t kNsPerSecond = 1000000000;
  if (ticks_per_second <= 0) return 0;
  const auto tps = static_cast<uint64_t>(ticks_per_second);
  if (kNsPerSecond % tps == 0) return start_boottime_ns / (kNsPerSecond / tps);
  return static_cast<uint64_t>((static_cast<unsigned __int128>(start_boottime_ns) * tps) /
                               kNsPerSecond);
}

std::unordered_map<uint64_t, SocketFd> LowestPidOwners(const std::vector<SocketFd>& sorted) {
  std::unordered_map<uint64_t, SocketFd> owners;
  owners.reserve(sorted.size());
  for (const SocketFd& s : sorted) {
    if (s.inode != 0) owners.try_emplace(s.inode, s);  // the first is the lowest (pid, fd)
  }
  return owners;
}

}  // namespace netstat::owners
