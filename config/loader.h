// The YAML loader's walker, shared by the files that read the config's sections
// (config_loader.cc: the top level, web, namespaces; collectors_loader.cc: collectors).
// Internal to netstat_config_loader: nothing outside config/ includes it.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>

#include "config/config.h"
#include "config/config_loader.h"
#include "config/values.h"

namespace netstat::config::internal {

// Walks the YAML tree with the dotted key path of each node, so every error can name
// file:line:column and the key.
class Loader {
 public:
  explicit Loader(std::string name) : name_(std::move(name)) {}

  Config Load(const YAML::Node& root);

 private:
  [[noreturn]] void Fail(const YAML::Mark& mark, const std::string& key,
                         const std::string& problem) const {
    std::ostringstream os;
    os << name_;
    if (mark.line >= 0) os << ':' << mark.line + 1 << ':' << mark.column + 1;
    os << ": " << key << ": " << problem;
    throw ConfigError(os.str());
  }

  // Each entry of `map` must be one of `allowed`; a null node is an empty map.
  void RequireMap(const YAML::Node& map, const std::string& key,
                  std::initializer_list<const char*> allowed) const {
    if (map.IsNull()) return;
    if (!map.IsMap()) Fail(map.Mark(), key, "must be a mapping");
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string k = it->first.Scalar();
      bool known = false;
      for (const char* a : allowed) known = known || k == a;
      if (!known) Fail(it->first.Mark(), Join(key, k), "unknown key");
    }
  }

  static std::string Join(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
  }

  std::string String(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) Fail(n.Mark(), key, "must be a string");
    return n.Scalar();
  }

  bool Bool(const YAML::Node& n, const std::string& key) const {
    bool out;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, out)) {
      Fail(n.Mark(), key, "must be true or false");
    }
    return out;
  }

  long long Int(const YAML::Node& n, const std::string& key, long long lo, long long hi) const {
    long long out;
    if (!n.IsScalar() || !YAML::convert<long long>::decode(n, out) || out < lo || out > hi) {
      Fail(n.Mark(), key,
           "must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
    }
    return out;
  }

  Pattern Regex(const YAML::Node& n, const std::string& key) const {
    const std::string text = String(n, key);
    try {
      return Pattern::Compile(text);
    } catch (const std::regex_error& e) {
      Fail(n.Mark(), key, "invalid regular expression \"" + text + "\": " + e.what());
    }
  }

  template <typename Fn>
  auto Checked(const YAML::Node& n, const std::string& key, const std::string& what, Fn fn) const {
    try {
      return fn(String(n, key));
    } catch (const std::invalid_argument& e) {
      Fail(n.Mark(), key, "invalid " + what + " " + e.what());
    }
  }

  // yaml-cpp keeps every entry of a mapping whose key repeats and answers a lookup with
  // one of them, so the other would be ignored without a word. Every mapping at every
  // depth is checked before anything is read.
  void CheckDuplicateKeys(const YAML::Node& n, const std::string& key, size_t* walked) const;

  void LoadWeb(const YAML::Node& n, WebConfig* web) const;
  void LoadSettings(const YAML::Node& n, const std::string& key, CollectorSettings* s) const;
  // A BPF collector's section (absent: nothing): {enabled, interval, max_series}.
  void LoadBpfCollector(const YAML::Node& n, const std::string& key, CollectorSettings* s,
                        uint32_t* max_series) const;
  void LoadNamespaces(const YAML::Node& n, NamespacesConfig* ns) const;
  void LoadCollectors(const YAML::Node& n, Config* c) const;
  void LoadListeners(const YAML::Node& n, const std::string& key, ListenersConfig* l) const;
  ExpectedRule LoadRule(const YAML::Node& n, const std::string& key) const;

  std::string name_;
};

}  // namespace netstat::config::internal
