#include "readers/socket_reading/host_pass.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstddef>
#include <mutex>

namespace netstat::socket_reading {

bool HostPass::Wanted(tcp_iter::SourceMode mode, bool have_walker, size_t other_namespaces) {
  if (!have_walker) return false;
  switch (mode) {
    case tcp_iter::SourceMode::kNetlink:
      return false;
    case tcp_iter::SourceMode::kBpf:
      return true;
    case tcp_iter::SourceMode::kAuto:
      return other_namespaces > 0;
  }
  return false;
}

void HostPass::Clear() {
  walked_.clear();
  index_.clear();
}

bool HostPass::Run(tcp_iter::HostCounter& walker, const std::vector<uint64_t>& inodes,
                   const std::vector<uint16_t>& remote_ports) {
  Clear();
  std::string error;
  // In batches of what one walk takes: each batch is a walk of the whole hash again, so
  // a host with more namespaces than that pays one walk per batch.
  bool ok = true;
  const size_t batch = std::max<size_t>(1, walker.max_namespaces());
  for (size_t at = 0; ok && at < inodes.size(); at += batch) {
    const std::vector<uint64_t> part(
        inodes.begin() + static_cast<std::ptrdiff_t>(at),
        inodes.begin() + static_cast<std::ptrdiff_t>(std::min(inodes.size(), at + batch)));
    std::vector<tcp_iter::HostNamespace> walked;
    ok = walker.Walk(part, remote_ports, &walked, &error);
    for (auto& ns : walked) walked_.push_back(std::move(ns));
  }
  static std::mutex mu;
  static std::string logged;
  std::lock_guard lock(mu);
  if (!ok) {
    walked_.clear();
    if (logged != error) {
      spdlog::warn(
          "sockets: one walk of the host's TCP failed: {}; reading each namespace "
          "by netlink instead",
          error);
    }
    logged = error;
    return false;
  }
  logged.clear();
  for (size_t i = 0; i < walked_.size(); ++i) {
    if (walked_[i].complete) index_.emplace(walked_[i].inode, i);
  }
  return true;
}

const tcp_iter::HostNamespace* HostPass::Find(uint64_t inode) const {
  auto it = index_.find(inode);
  return it == index_.end() ? nullptr : &walked_[it->second];
}

}  // namespace netstat::socket_reading
