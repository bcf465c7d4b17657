// The services file (paths.services, /etc/services by default; not under the procfs
// root), re-parsed only when its size or modification time changes.
#pragma once

#include <sys/types.h>

#include <ctime>
#include <string>

#include "collectors/listeners/services_parser.h"

namespace netstat::listeners {

class ServicesFile {
 public:
  explicit ServicesFile(std::string path) : path_(std::move(path)) {}

  // Re-reads the file when it changed; a missing or unreadable file gives an empty
  // table (every service label empty) and sets error().
  const ServiceTable& Current();
  // Why the file could not be read ("" when it was): "/etc/services: No such file...".
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  std::string error_;
  ServiceTable table_;
  bool loaded_ = false;
  off_t size_ = -1;
  timespec mtime_{};
};

}  // namespace netstat::listeners
