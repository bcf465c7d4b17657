#include "collectors/sockets/sockstat_parser.h"

#include <charconv>

namespace netstat::sockets {
namespace {

std::vector<std::string_view> Split(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

bool ParseLine(std::string_view line, std::vector<SockstatValue>* out) {
  std::vector<std::string_view> tokens = Split(line);
  if (tokens.size() < 3 || tokens.size() % 2 == 0) return false;
  std::string_view group = tokens[0];
  if (group.size() < 2 || group.back() != ':') return false;
  group.remove_suffix(1);
  const size_t before = out->size();
  for (size_t i = 1; i + 1 < tokens.size(); i += 2) {
    uint64_t v = 0;
    std::string_view num = tokens[i + 1];
    auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
    if (ec != std::errc() || ptr != num.data() + num.size()) {
      out->resize(before);  // all of a line or nothing
      return false;
    }
    out->push_back({std::string(group), std::string(tokens[i]), v});
  }
  return true;
}

}  // namespace

SockstatResult ParseSockstat(std::string_view text) {
  SockstatResult result;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (!ParseLine(line, &result.values)) {
      result.errors.push_back("line " + std::to_string(line_no) +
                              ": malformed: " + std::string(line.substr(0, 80)));
    }
  }
  return result;
}

}  // namespace netstat::sockets
