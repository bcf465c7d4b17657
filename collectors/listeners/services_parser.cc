#include "collectors/listeners/services_parser.h"

#include <array>
#include <charconv>

#include "readers/procfs/text.h"

namespace netstat::listeners {
namespace {

void ParseLine(std::string_view line, ServiceTable* table) {
  // name port/protocol [aliases...] [# comment]
  std::array<std::string_view, 2> words;
  if (procfs::SplitFields(line.substr(0, line.find('#')), &words) < 2) return;
  const std::string_view name = words[0];
  const std::string_view port_proto = words[1];
  size_t slash = port_proto.find('/');
  if (slash == std::string_view::npos || slash + 1 == port_proto.size()) return;
  unsigned port = 0;
  std::string_view digits = port_proto.substr(0, slash);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || port > 65535) return;
  table->Add(port_proto.substr(slash + 1), static_cast<uint16_t>(port), name);
}

}  // namespace

std::string ServiceTable::Key(std::string_view protocol, uint16_t port) {
  std::string key(protocol);
  key.push_back('/');
  key.append(std::to_string(port));
  return key;
}

void ServiceTable::Add(std::string_view protocol, uint16_t port, std::string_view name) {
  names_.emplace(Key(protocol, port), std::string(name));
}

const std::string& ServiceTable::Find(std::string_view protocol, uint16_t port) const {
  static const std::string kEmpty;
  auto it = names_.find(Key(protocol, port));
  return it == names_.end() ? kEmpty : it->second;
}

ServiceTable ParseServices(std::string_view text) {
  ServiceTable table;
  procfs::ForEachLine(text, [&](std::string_view line, size_t) { ParseLine(line, &table); });
  return table;
}

}  // namespace netstat::listeners
