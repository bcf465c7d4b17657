#include "readers/sockstat/sockstat_parser.h"

#include <charconv>

#include "readers/procfs/text.h"

namespace netstat::sockets {
namespace {

bool ParseLine(std::string_view line, std::vector<SockstatValue>* out) {
  const std::vector<std::string_view> tokens = procfs::SplitWords(line);
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
  procfs::ForEachLine(text, [&](std::string_view line, size_t line_no) {
    if (procfs::Trim(line).empty()) return;
    if (!ParseLine(line, &result.values)) {
      result.errors.push_back("line " + std::to_string(line_no) +
                              ": malformed: " + std::string(line.substr(0, 80)));
    }
  });
  return result;
}

}  // namespace netstat::sockets
