#include "readers/proctable/user_names.h"

#include <pwd.h>

#include <vector>

#include "readers/procfs/root.h"
#include "readers/proctable/proc_parsers.h"

namespace netstat::proctable {
namespace {
constexpr auto kRetry = std::chrono::seconds(60);
}  // namespace

UserNames::UserNames(std::string procfs, bool live)
    : passwd_path_(live ? std::string() : procfs + "/1/root/etc/passwd") {}

std::string UserNames::Name(uint32_t uid) {
  if (auto it = names_.find(uid); it != names_.end()) return it->second;
  const Clock::time_point now = Clock::now();
  if (auto it = unknown_.find(uid); it != unknown_.end() && now < it->second) {
    return std::to_string(uid);
  }
  std::string name = Lookup(uid);
  if (name.empty()) {
    unknown_[uid] = now + kRetry;
    return std::to_string(uid);
  }
  unknown_.erase(uid);
  return names_[uid] = name;
}

std::string UserNames::Lookup(uint32_t uid) {
  if (passwd_path_.empty()) {
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* result = nullptr;
    if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &result) != 0 || result == nullptr) {
      return "";
    }
    return result->pw_name != nullptr ? result->pw_name : "";
  }
  const Clock::time_point now = Clock::now();
  if (!passwd_loaded_ || now >= passwd_read_at_ + kRetry) {
    std::string text;
    if (procfs::ReadFile(passwd_path_, &text) == 0) {
      names_ = ParsePasswd(text);
      unknown_.clear();
    }
    passwd_loaded_ = true;
    passwd_read_at_ = now;
  }
  auto it = names_.find(uid);
  return it == names_.end() ? "" : it->second;
}

}  // namespace netstat::proctable
