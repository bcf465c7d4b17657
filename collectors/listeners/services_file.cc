#include "collectors/listeners/services_file.h"

#include <sys/stat.h>

#include <cerrno>

#include "readers/procfs/root.h"

namespace netstat::listeners {

const ServiceTable& ServicesFile::Current() {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    error_ = path_ + ": " + procfs::ErrorText(errno);
    table_ = ServiceTable{};
    loaded_ = false;
    return table_;
  }
  if (loaded_ && st.st_size == size_ && st.st_mtim.tv_sec == mtime_.tv_sec &&
      st.st_mtim.tv_nsec == mtime_.tv_nsec) {
    return table_;
  }
  std::string text;
  if (int err = procfs::ReadFile(path_, &text); err != 0) {
    error_ = path_ + ": " + procfs::ErrorText(err);
    return table_;
  }
  error_.clear();
  table_ = ParseServices(text);
  loaded_ = true;
  size_ = st.st_size;
  mtime_ = st.st_mtim;
  return table_;
}

}  // namespace netstat::listeners
