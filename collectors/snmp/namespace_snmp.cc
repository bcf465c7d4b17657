#include "collectors/snmp/namespace_snmp.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace netstat::snmp {
namespace {

constexpr const char* kNames[2] = {"snmp", "netstat"};
constexpr size_t kMaxBytes = 1u << 20;  // both are ~4 KB; a bound all the same

// Whether <procfs>/PID/ns/net names the namespace: a pid that exited may be reused by a
// process of another namespace between the discovery and the open.
bool StillIn(const procfs::Root& root, int32_t pid, uint64_t inode) {
  char link[64] = {};
  const std::string path = root.Proc(std::to_string(pid) + "/ns/net");
  const ssize_t n = readlink(path.c_str(), link, sizeof link - 1);
  return n > 0 &&
         std::string(link, static_cast<size_t>(n)) == "net:[" + std::to_string(inode) + "]";
}

// The whole file from offset 0 into *text: 0, or an errno (procfs's own for a cut or
// oversized text). pread at 0 makes the kernel render the file afresh.
int ReadFromStart(int fd, std::string* text) {
  text->resize(8192);
  size_t used = 0;
  for (;;) {
    if (used == text->size()) {
      if (text->size() >= kMaxBytes) return procfs::kTooLarge;
      text->resize(text->size() * 2);
    }
    const ssize_t n = pread(fd, text->data() + used, text->size() - used, static_cast<off_t>(used));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  text->resize(used);
  if (used == 0) return procfs::kEmpty;
  if (text->back() != '\n') return procfs::kTruncated;
  return 0;
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

bool NamespaceStatFiles::Open(int32_t pid, uint64_t inode, Files* f,
                              std::vector<std::string>* errors) const {
  std::vector<std::string> failed;
  for (int i = 0; i < 2; ++i) {
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

NamespaceFields NamespaceStatFiles::Read(int32_t pid, uint64_t inode, FieldPicker* picker) {
  NamespaceFields r;
  Files& f = open_[inode];
  if (f.fds[0] < 0 && f.fds[1] < 0 && !Open(pid, inode, &f, &r.errors)) {
    open_.erase(inode);
    r.gone = true;
    return r;
  }
  std::vector<Field>* out[2] = {&r.snmp, &r.netstat};
  for (int i = 0; i < 2; ++i) {
    if (f.fds[i] < 0) continue;  // its open failed: reported above
    if (int err = ReadFromStart(f.fds[i], &text_)) {
      r.errors.push_back(f.paths[i] + ": " + procfs::ErrorText(err));
      continue;
    }
    ParseResult parsed = picker->Parse(text_);
    for (auto& e : parsed.errors) r.errors.push_back(f.paths[i] + ": " + e);
    *out[i] = std::move(parsed.fields);
  }
  // A failure is not kept: the next scrape opens both files again.
  if (!r.errors.empty()) {
    Close(&f);
    open_.erase(inode);
  }
  return r;
}

void NamespaceStatFiles::Keep(const std::set<uint64_t>& inodes) {
  for (auto it = open_.begin(); it != open_.end();) {
    if (inodes.count(it->first) != 0) {
      ++it;
      continue;
    }
    Close(&it->second);
    it = open_.erase(it);
  }
}

}  // namespace netstat::snmp
