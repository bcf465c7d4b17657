// uid -> user name for the `user` label. On the live /proc it asks NSS (getpwuid_r), so
// LDAP/sssd and systemd dynamic users resolve as `ls -l` shows them. With another procfs
// root (a container watching the host through /host/proc, or the fixture tree) it parses
// <procfs>/1/root/etc/passwd: the user database of that pid namespace's init, not ours.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace netstat::proctable {

class UserNames {
 public:
  using Clock = std::chrono::steady_clock;

  UserNames(std::string procfs, bool live);

  // The name of `uid`, or the uid in decimal when it has none. Unknown uids are asked
  // again (and the passwd file re-read) at most once a minute.
  std::string Name(uint32_t uid);

 private:
  std::string Lookup(uint32_t uid);

  std::string passwd_path_;  // empty: use NSS
  std::unordered_map<uint32_t, std::string> names_;
  std::unordered_map<uint32_t, Clock::time_point> unknown_;  // uid -> when to ask again
  Clock::time_point passwd_read_at_{};
  bool passwd_loaded_ = false;
};

}  // namespace netstat::proctable
