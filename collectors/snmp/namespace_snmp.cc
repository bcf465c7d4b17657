#include "collectors/snmp/namespace_snmp.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace netstat::snmp {
namespace {

constexpr const char* kNames[2] = {"snmp", "netstat"};
constexpr size_t kFirstBytes = 8192;    // both are ~4 KB: one pread takes either whole
constexpr size_t kMaxBytes = 1u << 20;  // a bound all the same

// Whether <procfs>/PID/ns/net names the namespace: a pid that exited may be reused by a
// process of another namespace between the discovery and the open.
bool StillIn(const procfs::Root& root, int32_t pid, uint64_t inode) {
  char link[64] = {};
  const std::string path = root.Proc(std::to_string(pid) + "/ns/net");
  const ssize_t n = readlink(path.c_str(), link, sizeof link - 1);
  return n > 0 &&
         std::string(link, static_cast<size_t>(n)) == "net:[" + std::to_string(inode) + "]";
}

}  // namespace

NamespaceStatFiles::~NamespaceStatFiles() {
  for (auto& [inode, f] : open_) Close(&f);
}

void NamespaceStatFiles::Close(Files* f) {
  for (int& fd : f->fds) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
}

// pread at 0 makes the kernel render the file afresh. A short read that ends a line is the
// whole file (see the header); one that does not is read on to the end, to tell a cut
// text from a slow source.
int NamespaceStatFiles::ReadFromStart(int fd, size_t* used) {
  if (buffer_.size() < kFirstBytes) buffer_.resize(kFirstBytes);
  *used = 0;
  for (;;) {
    if (*used == buffer_.size()) {
      if (buffer_.size() >= kMaxBytes) return procfs::kTooLarge;
      buffer_.resize(buffer_.size() * 2);
    }
    const size_t room = buffer_.size() - *used;
    const ssize_t n = pread(fd, buffer_.data() + *used, room, static_cast<off_t>(*used));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) break;
    *used += static_cast<size_t>(n);
    if (static_cast<size_t>(n) < room && buffer_[*used - 1] == '\n') break;
  }
  if (*used == 0) return procfs::kEmpty;
  if (buffer_[*used - 1] != '\n') return procfs::kTruncated;
  return 0;
}

bool NamespaceStatFiles::Open(int32_t pid, uint64_t inode, Files* f,
                              std::vector<std::string>* errors) const {
  std::vector<std::string> failed;
  for (int i = 0; i < 2; ++i) {
    if (unwanted_[i]) continue;
    f->paths[i] = root_.Proc(std::to_string(pid) + "/net/" + kNames[i]);
    f->fds[i] = procfs::OpenRegular(f->paths[i]);
    if (f->fds[i] < 0) failed.push_back(f->paths[i] + ": " + procfs::ErrorText(errno));
  }
  // Checked after the opens: files opened through a pid that has left hold another
  // namespace, or none.
  if (!StillIn(root_, pid, inode)) {
    Close(f);
    return false;
  }
  errors->insert(errors->end(), failed.begin(), failed.end());
  return true;
}

void NamespaceStatFiles::Read(int32_t pid, uint64_t inode, FieldPicker* picker,
                              NamespaceFields* out) {
  out->gone = false;
  out->snmp.clear();
  out->netstat.clear();
  out->errors.clear();
  if (unwanted_[0] && unwanted_[1]) return;  // nothing is wanted of any namespace
  Files& f = open_[inode];
  if (f.fds[0] < 0 && f.fds[1] < 0 && !Open(pid, inode, &f, &out->errors)) {
    open_.erase(inode);
    out->gone = true;
    return;
  }
  std::vector<PickedValue>* values[2] = {&out->snmp, &out->netstat};
  for (int i = 0; i < 2; ++i) {
    if (unwanted_[i] && f.fds[i] >= 0) {  // another namespace's opened before it was learnt
      close(f.fds[i]);
      f.fds[i] = -1;
    }
    if (f.fds[i] < 0) continue;  // unwanted, or its open failed: reported above
    size_t used = 0;
    if (int err = ReadFromStart(f.fds[i], &used)) {
      out->errors.push_back(f.paths[i] + ": " + procfs::ErrorText(err));
      continue;
    }
    errors_.clear();
    const bool wants = picker->Parse(std::string_view(buffer_.data(), used), values[i], &errors_);
    for (const auto& e : errors_) out->errors.push_back(f.paths[i] + ": " + e);
    if (!wants && errors_.empty()) {
      unwanted_[i] = true;
      close(f.fds[i]);
      f.fds[i] = -1;
    }
  }
  // A failure is not kept: the next scrape opens both files again.
  if (!out->errors.empty()) {
    Close(&f);
    open_.erase(inode);
  }
}

void NamespaceStatFiles::Keep(const std::vector<uint64_t>& inodes) {
  for (auto it = open_.begin(); it != open_.end();) {
    if (std::binary_search(inodes.begin(), inodes.end(), it->first)) {
      ++it;
      continue;
    }
    Close(&it->second);
    it = open_.erase(it);
  }
}

}  // namespace netstat::snmp
