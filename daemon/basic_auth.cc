#include "daemon/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstring>
#include <stdexcept>

namespace netstat::daemon {
namespace {

bool SameBytes(const void* a, const void* b, size_t n) { return CRYPTO_memcmp(a, b, n) == 0; }

}  // namespace

std::string Base64Decode(std::string_view in) {
  std::string out;
  int bits = 0;
  unsigned value = 0;
  for (char c : in) {
    int d;
    if (c >= 'A' && c <= 'Z') {
      d = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      d = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      d = c - '0' + 52;
    } else if (c == '+') {
      d = 62;
    } else if (c == '/') {
      d = 63;
    } else if (c == '=') {
      break;
    } else {
      return "";
    }
    value = (value << 6) | static_cast<unsigned>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((value >> bits) & 0xff));
    }
  }
  return out;
}

BasicAuth::BasicAuth(std::map<std::string, std::string> users) : users_(std::move(users)) {
  // Without users nothing is hashed, and OpenSSL is left uninitialised: its random
  // generator and providers alone would hold 2 MB of the exporter's resident memory.
  if (users_.empty()) return;
  if (RAND_bytes(key_.data(), static_cast<int>(key_.size())) != 1) {
    throw std::runtime_error("basic auth: no random bytes for the digest key");
  }
}

BasicAuth::Digest BasicAuth::Keyed(std::string_view user, std::string_view password) const {
  std::string message(user);
  message.push_back('\0');  // user "a", password "b:c" differs from user "a:b", password "c"
  message.append(password);
  Digest d{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), d.data(), &len);
  OPENSSL_cleanse(message.data(), message.size());
  return d;
}

BasicAuth::Result BasicAuth::Check(const char* authorization) {
  if (users_.empty()) return Result::kAllowed;
  if (!authorization || std::strncmp(authorization, "Basic ", 6) != 0) return Result::kDenied;
  std::string pair = Base64Decode(authorization + 6);
  const size_t colon = pair.find(':');
  if (colon == std::string::npos) return Result::kDenied;
  const std::string user = pair.substr(0, colon);
  // An unknown user costs nothing: no bcrypt for names that have no hash.
  const auto hash = users_.find(user);
  if (hash == users_.end()) return Result::kDenied;
  const Digest digest = Keyed(user, std::string_view(pair).substr(colon + 1));
  {
    std::lock_guard lk(mu_);
    if (auto g = good_.find(user);
        g != good_.end() && SameBytes(g->second.data(), digest.data(), digest.size())) {
      return Result::kAllowed;
    }
    if (bad_.count(digest)) return Result::kDenied;
  }
  std::unique_lock bcrypt(bcrypt_mu_, std::try_to_lock);
  if (!bcrypt.owns_lock()) return Result::kBusy;
  crypt_data data{};
  const char* out = crypt_r(pair.c_str() + colon + 1, hash->second.c_str(), &data);
  const bool ok = out && std::strlen(out) == hash->second.size() &&
                  SameBytes(out, hash->second.data(), hash->second.size());
  OPENSSL_cleanse(pair.data(), pair.size());
  OPENSSL_cleanse(&data, sizeof data);
  bcrypt.unlock();
  std::lock_guard lk(mu_);
  if (ok) {
    good_[user] = digest;
    return Result::kAllowed;
  }
  if (bad_.size() >= kMaxRemembered) bad_.clear();
  bad_.insert(digest);
  return Result::kDenied;
}

}  // namespace netstat::daemon
