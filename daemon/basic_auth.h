// HTTP basic auth against bcrypt hashes (web.basic_auth_users). bcrypt is slow on purpose,
// so a password that matched is remembered as a keyed digest (HMAC-SHA256 under a key
// drawn at start), never as the password; a scrape then costs one HMAC. bcrypt runs
// outside every lock a scrape takes, and one at a time: while one runs, further
// unverified attempts are told to come back (429), so a flood of wrong passwords costs
// at most one thread and never delays an authorised scrape.
#pragma once

#include <array>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace netstat::daemon {

class BasicAuth {
 public:
  enum class Result { kAllowed, kDenied, kBusy };

  // users: name -> bcrypt hash. No users: everything is allowed.
  explicit BasicAuth(std::map<std::string, std::string> users);

  // `authorization` is the Authorization header's value, or nullptr when absent.
  Result Check(const char* authorization);

 private:
  using Digest = std::array<unsigned char, 32>;
  Digest Keyed(std::string_view user, std::string_view password) const;

  static constexpr size_t kMaxRemembered = 256;  // wrong digests remembered, per process

  std::map<std::string, std::string> users_;
  std::array<unsigned char, 32> key_{};
  std::mutex mu_;  // guards good_ and bad_; never held during bcrypt
  std::map<std::string, Digest> good_;
  std::set<Digest> bad_;
  std::mutex bcrypt_mu_;  // try-locked: one bcrypt at a time
};

// "dXNlcjpwYXNz" -> "user:pass"; empty on a character outside the alphabet.
std::string Base64Decode(std::string_view in);

}  // namespace netstat::daemon
