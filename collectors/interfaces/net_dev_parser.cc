#include "collectors/interfaces/net_dev_parser.h"

#include <array>
#include <charconv>

#include "readers/procfs/text.h"

namespace netstat::interfaces {
namespace {

// The 16 counters after the colon; false on a missing, extra or non-numeric one.
bool ParseCounters(std::string_view s, NetDevStats* out) {
  std::array<std::string_view, 16> fields;
  if (procfs::SplitFields(s, &fields) != fields.size()) return false;
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string_view field = fields[i];
    uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
    if (ec != std::errc() || ptr != field.data() + field.size()) return false;
    (i < 8 ? out->receive[i] : out->transmit[i - 8]) = v;
  }
  return true;
}

}  // namespace

NetDevResult ParseNetDev(std::string_view text) {
  NetDevResult result;
  procfs::ForEachLine(text, [&](std::string_view line, size_t line_no) {
    line = procfs::Trim(line);
    if (line.empty()) return;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      // The two header lines are the only ones without a colon; they contain '|'.
      if (line.find('|') == std::string_view::npos) {
        result.errors.push_back("line " + std::to_string(line_no) + ": no interface name");
      }
      return;
    }
    NetDevStats stats;
    stats.name = std::string(procfs::Trim(line.substr(0, colon)));
    if (stats.name.empty() || !ParseCounters(line.substr(colon + 1), &stats)) {
      result.errors.push_back("line " + std::to_string(line_no) +
                              ": expected a name and 16 counters");
      return;
    }
    result.interfaces.push_back(std::move(stats));
  });
  return result;
}

}  // namespace netstat::interfaces
