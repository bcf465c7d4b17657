#include "collectors/interfaces/net_dev_parser.h"

#include <charconv>

namespace netstat::interfaces {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Splits the 16 counters after the colon; false on a missing or non-numeric one, or on
// anything left over.
bool ParseCounters(std::string_view s, NetDevStats* out) {
  for (size_t i = 0; i < 16; ++i) {
    s = Trim(s);
    size_t end = s.find_first_of(" \t");
    std::string_view field = s.substr(0, end);
    if (field.empty()) return false;
    uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
    if (ec != std::errc() || ptr != field.data() + field.size()) return false;
    (i < 8 ? out->receive[i] : out->transmit[i - 8]) = v;
    s = end == std::string_view::npos ? std::string_view() : s.substr(end);
  }
  return Trim(s).empty();
}

}  // namespace

NetDevResult ParseNetDev(std::string_view text) {
  NetDevResult result;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    line = Trim(line);
    if (line.empty()) continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      // The two header lines are the only ones without a colon; they contain '|'.
      if (line.find('|') == std::string_view::npos) {
        result.errors.push_back("line " + std::to_string(line_no) + ": no interface name");
      }
      continue;
    }
    NetDevStats stats;
    stats.name = std::string(Trim(line.substr(0, colon)));
    if (stats.name.empty() || !ParseCounters(line.substr(colon + 1), &stats)) {
      result.errors.push_back("line " + std::to_string(line_no) +
                              ": expected a name and 16 counters");
      continue;
    }
    result.interfaces.push_back(std::move(stats));
  }
  return result;
}

}  // namespace netstat::interfaces
