#include "collectors/snmp/field_picker.h"

#include "readers/procfs/text.h"

namespace netstat::snmp {
namespace {

std::string LineError(size_t line, const std::string& what) {
  return "line " + std::to_string(line) + ": " + what;
}

// "Tcp:" of "Tcp: RtoAlgorithm ..."; empty when the line does not start with a tag.
std::string_view TagOf(std::string_view line) {
  const size_t end = line.find_first_of(" \t");
  std::string_view tag = line.substr(0, end);
  if (tag.size() < 2 || tag.back() != ':' || !IsMetricNamePart(tag.substr(0, tag.size() - 1))) {
    return {};
  }
  return tag;
}

}  // namespace

const FieldPicker::Header& FieldPicker::HeaderOf(std::string_view line) {
  auto it = headers_.find(std::string(line));
  if (it != headers_.end()) return it->second;
  const auto words = procfs::SplitWords(line);
  Header h{words.size(), {}};
  const std::string group(words[0].substr(0, words[0].size() - 1));
  for (size_t k = 1; k < words.size(); ++k) {
    if (!IsMetricNamePart(words[k])) continue;
    Field f{group, std::string(words[k]), 0};
    if (wanted_(group + "_" + f.name)) h.columns.push_back({k, std::move(f)});
  }
  return headers_.emplace(std::string(line), std::move(h)).first->second;
}

ParseResult FieldPicker::Parse(std::string_view text) {
  ParseResult r;
  lines_.clear();
  procfs::ForEachLine(text, [&](std::string_view line, size_t) { lines_.push_back(line); });
  size_t i = 0;
  while (i < lines_.size()) {
    const std::string_view header = procfs::Trim(lines_[i]);
    const size_t header_line = ++i;
    if (header.empty()) continue;
    const std::string_view tag = TagOf(header);
    if (tag.empty()) {
      r.errors.push_back(LineError(header_line, "expected \"Group:\" header, got \"" +
                                                    std::string(header.substr(0, 40)) + "\""));
      continue;
    }
    const std::string group(tag.substr(0, tag.size() - 1));
    if (i >= lines_.size() || TagOf(procfs::Trim(lines_[i])) != tag) {
      r.errors.push_back(LineError(header_line, "group " + group + " has no value line"));
      continue;  // the next line may be the header of the next group
    }
    const auto values = procfs::SplitWords(lines_[i++]);
    const Header& h = HeaderOf(header);
    if (h.columns.empty()) continue;
    if (values.size() != h.words) {
      r.errors.push_back(
          LineError(header_line + 1, group + " has " + std::to_string(h.words - 1) + " names but " +
                                         std::to_string(values.size() - 1) + " values"));
      continue;
    }
    for (const Column& c : h.columns) {
      double v;
      if (!ParseInteger(values[c.index], &v)) {
        r.errors.push_back(
            LineError(header_line + 1, group + "_" + c.field.name + ": not a number: \"" +
                                           std::string(values[c.index].substr(0, 40)) + "\""));
        continue;
      }
      r.fields.push_back(c.field);
      r.fields.back().value = v;
    }
  }
  return r;
}

}  // namespace netstat::snmp
