#include "collectors/listeners/services_parser.h"

#include <charconv>

namespace netstat::listeners {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view NextWord(std::string_view* rest) {
  size_t i = 0;
  while (i < rest->size() && IsSpace((*rest)[i])) ++i;
  size_t j = i;
  while (j < rest->size() && !IsSpace((*rest)[j])) ++j;
  std::string_view word = rest->substr(i, j - i);
  rest->remove_prefix(j);
  return word;
}

void ParseLine(std::string_view line, ServiceTable* table) {
  line = line.substr(0, line.find('#'));
  std::string_view name = NextWord(&line);
  std::string_view port_proto = NextWord(&line);
  size_t slash = port_proto.find('/');
  if (name.empty() || slash == std::string_view::npos || slash + 1 == port_proto.size()) return;
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
  while (!text.empty()) {
    size_t nl = text.find('\n');
    ParseLine(text.substr(0, nl), &table);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
  return table;
}

}  // namespace netstat::listeners
