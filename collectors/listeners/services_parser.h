// services(5) parsing: "name port/protocol [aliases...] [# comment]" -> the name of each
// (protocol, port). Pure; ServicesFile (services_file.h) does the reading.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace netstat::listeners {

class ServiceTable {
 public:
  // The first name given for (protocol, port) wins, as getservbyport does.
  void Add(std::string_view protocol, uint16_t port, std::string_view name);
  // Empty when the port has no name for that protocol.
  const std::string& Find(std::string_view protocol, uint16_t port) const;
  size_t size() const { return names_.size(); }

 private:
  static std::string Key(std::string_view protocol, uint16_t port);
  std::unordered_map<std::string, std::string> names_;
};

// Lines that do not parse (garbage, bad ports, missing protocol) are skipped.
ServiceTable ParseServices(std::string_view text);

}  // namespace netstat::listeners
