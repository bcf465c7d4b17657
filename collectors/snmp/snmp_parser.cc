#include "collectors/snmp/snmp_parser.h"

#include <charconv>
#include <cstdint>

#include "readers/procfs/text.h"

namespace netstat::snmp {
namespace {

using procfs::SplitWords;

std::string LineError(size_t line, const std::string& what) {
  return "line " + std::to_string(line) + ": " + what;
}

}  // namespace

bool ParseInteger(std::string_view s, double* out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  if (s.front() == '-') {
    int64_t v;
    auto [p, ec] = std::from_chars(s.data(), end, v);
    if (ec != std::errc() || p != end) return false;
    *out = static_cast<double>(v);
    return true;
  }
  uint64_t v;
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || p != end) return false;
  *out = static_cast<double>(v);
  return true;
}

// ASCII only, as std::isalnum in the "C" locale the exporter runs in, without a call per
// character.
bool IsMetricNamePart(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

ParseResult ParsePairedGroups(std::string_view text) {
  ParseResult r;
  std::vector<std::string_view> lines;  // paired lines need one line of look-ahead
  procfs::ForEachLine(text, [&](std::string_view line, size_t) { lines.push_back(line); });
  size_t i = 0;
  while (i < lines.size()) {
    auto header = SplitWords(lines[i]);
    if (header.empty()) {
      ++i;
      continue;
    }
    const size_t header_line = i + 1;
    std::string_view tag = header[0];
    if (tag.size() < 2 || tag.back() != ':' || !IsMetricNamePart(tag.substr(0, tag.size() - 1))) {
      r.errors.push_back(LineError(header_line, "expected \"Group:\" header, got \"" +
                                                    std::string(tag.substr(0, 40)) + "\""));
      ++i;
      continue;
    }
    const std::string group(tag.substr(0, tag.size() - 1));
    if (i + 1 >= lines.size() || SplitWords(lines[i + 1]).empty()) {
      r.errors.push_back(LineError(header_line, "group " + group + " has no value line"));
      i += 2;
      continue;
    }
    auto values = SplitWords(lines[i + 1]);
    i += 2;
    if (values[0] != tag) {
      r.errors.push_back(LineError(header_line, "group " + group + " has no value line"));
      --i;  // the next line may be the header of the next group
      continue;
    }
    if (values.size() != header.size()) {
      r.errors.push_back(LineError(
          header_line + 1, group + " has " + std::to_string(header.size() - 1) + " names but " +
                               std::to_string(values.size() - 1) + " values"));
      continue;
    }
    for (size_t k = 1; k < header.size(); ++k) {
      double v;
      if (!IsMetricNamePart(header[k])) {
        r.errors.push_back(LineError(header_line, group + ": bad field name \"" +
                                                      std::string(header[k].substr(0, 40)) + "\""));
        continue;
      }
      if (!ParseInteger(values[k], &v)) {
        r.errors.push_back(
            LineError(header_line + 1, group + "_" + std::string(header[k]) + ": not a number: \"" +
                                           std::string(values[k].substr(0, 40)) + "\""));
        continue;
      }
      r.fields.push_back({group, std::string(header[k]), v});
    }
  }
  return r;
}

ParseResult ParseSnmp6(std::string_view text) {
  ParseResult r;
  procfs::ForEachLine(text, [&](std::string_view line, size_t number) {
    auto words = SplitWords(line);
    if (words.empty()) return;
    // The group is the name up to its first '6': Ip6, Icmp6, Udp6, UdpLite6.
    size_t six = words[0].find('6');
    double v;
    if (words.size() != 2 || six == std::string_view::npos || six + 1 >= words[0].size() ||
        !IsMetricNamePart(words[0])) {
      r.errors.push_back(LineError(
          number, "expected \"Name value\", got \"" + std::string(line.substr(0, 60)) + "\""));
      return;
    }
    if (!ParseInteger(words[1], &v)) {
      r.errors.push_back(LineError(number, std::string(words[0]) + ": not a number: \"" +
                                               std::string(words[1].substr(0, 40)) + "\""));
      return;
    }
    r.fields.push_back(
        {std::string(words[0].substr(0, six + 1)), std::string(words[0].substr(six + 1)), v});
  });
  return r;
}

}  // namespace netstat::snmp
