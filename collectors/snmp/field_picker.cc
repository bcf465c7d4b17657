#include "collectors/snmp/field_picker.h"

#include <algorithm>
#include <cstdint>

#include "readers/procfs/text.h"

namespace netstat::snmp {
namespace {

// More distinct header lines than a kernel prints: the text is not the kernel's; the cache
// starts over rather than grow.
constexpr size_t kMaxHeaders = 64;

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

// procfs::IsBlank (space, tab, '\r') without a branch: compilers turn that one's three
// comparisons into jumps, which mispredict at every word of a value line.
inline bool BlankBit(char c) {
  constexpr uint64_t kBlanks = (uint64_t{1} << ' ') | (uint64_t{1} << '\t') | (uint64_t{1} << '\r');
  const auto u = static_cast<unsigned char>(c);
  return ((kBlanks >> (u & 63)) & (u < 64 ? 1 : 0)) != 0;
}

// The first line of `rest`, without its '\n'. As ForEachLine: a last line without '\n' is
// a line, the empty rest after a final '\n' is not (the caller stops at an empty rest).
std::string_view FirstLine(std::string_view rest) { return rest.substr(0, rest.find('\n')); }

// Drops `line`, the first of *rest, and its '\n'.
void Consume(std::string_view line, std::string_view* rest) {
  rest->remove_prefix(std::min(rest->size(), line.size() + 1));
}

}  // namespace

uint32_t FieldPicker::IdOf(std::string_view group, std::string_view name) {
  std::string key;
  key.reserve(group.size() + 1 + name.size());
  key.append(group).append("_").append(name);
  auto [it, fresh] = ids_.emplace(key, static_cast<uint32_t>(keys_.size()));
  if (fresh) keys_.push_back({std::string(group), std::string(name), std::move(key)});
  return it->second;
}

const FieldPicker::Header* FieldPicker::KnownAt(std::string_view rest) const {
  for (const Header& h : headers_) {
    const size_t n = h.line.size();
    if (rest.size() >= n && (rest.size() == n || rest[n] == '\n') &&
        rest.compare(0, n, h.line) == 0) {
      return &h;
    }
  }
  return nullptr;
}

const FieldPicker::Header& FieldPicker::HeaderOf(std::string_view line) {
  for (const Header& h : headers_) {
    if (h.line == line) return h;
  }
  if (headers_.size() >= kMaxHeaders) headers_.clear();
  const auto words = procfs::SplitWords(line);
  Header h{std::string(line), words[0].size(), words.size(), {}};
  const std::string_view group = words[0].substr(0, words[0].size() - 1);
  std::string key(group);
  key += '_';
  for (size_t k = 1; k < words.size(); ++k) {
    if (!IsMetricNamePart(words[k])) continue;
    key.resize(group.size() + 1);
    key.append(words[k]);
    if (wanted_(key)) h.columns.push_back({static_cast<uint32_t>(k), IdOf(group, words[k])});
  }
  return headers_.emplace_back(std::move(h));
}

// One pass over the value line: the words of the wanted columns, and the count of all. A
// word starts at a non-blank after a blank; counting the starts without a branch per
// character is what makes the pass cheap (the TcpExt line has some 130 words).
void FieldPicker::PickValues(const Header& h, std::string_view values, size_t line,
                             std::vector<PickedValue>* out, std::vector<std::string>* errors) {
  picked_.resize(h.columns.size());
  const char* const s = values.data();
  const size_t n = values.size();
  size_t count = 0;
  size_t next = 0;  // the next wanted column, and its word index
  size_t want = h.columns[0].index;
  bool blank_before = true;
  for (size_t i = 0; i < n; ++i) {
    const bool blank = BlankBit(s[i]);
    const bool starts = blank_before & !blank;
    if (starts & (count == want)) {
      size_t end = i;
      while (end < n && !procfs::IsBlank(s[end])) ++end;
      picked_[next] = std::string_view(s + i, end - i);
      want = ++next < h.columns.size() ? h.columns[next].index : SIZE_MAX;
    }
    count += starts;
    blank_before = blank;
  }
  if (count != h.words) {
    const std::string group = h.line.substr(0, h.tag_size - 1);
    errors->push_back(LineError(line, group + " has " + std::to_string(h.words - 1) +
                                          " names but " + std::to_string(count - 1) + " values"));
    return;
  }
  for (size_t c = 0; c < h.columns.size(); ++c) {
    double v;
    if (!ParseInteger(picked_[c], &v)) {
      errors->push_back(LineError(line, keys_[h.columns[c].id].key + ": not a number: \"" +
                                            std::string(picked_[c].substr(0, 40)) + "\""));
      continue;
    }
    out->push_back({h.columns[c].id, v});
  }
}

// Pairs of lines, the header known again by comparing it whole where it starts (a kernel's
// header lines are blank-free at their ends; any other goes the long way, trimmed).
bool FieldPicker::Parse(std::string_view text, std::vector<PickedValue>* values,
                        std::vector<std::string>* errors) {
  bool wants = false;
  size_t number = 0;
  while (!text.empty()) {
    const size_t header_line = ++number;
    const Header* known = KnownAt(text);
    std::string_view header;
    std::string_view tag;
    if (known != nullptr) {
      header = known->line;
      tag = header.substr(0, known->tag_size);
      Consume(header, &text);
    } else {
      const std::string_view raw = FirstLine(text);
      Consume(raw, &text);
      header = procfs::Trim(raw);
      if (header.empty()) continue;
      tag = TagOf(header);
      if (tag.empty()) {
        errors->push_back(LineError(header_line, "expected \"Group:\" header, got \"" +
                                                     std::string(header.substr(0, 40)) + "\""));
        continue;
      }
    }
    // Its value line; not taken when it is none (it may be the header of the next group).
    const std::string_view value_line = FirstLine(text);
    if (text.empty() || TagOf(procfs::Trim(value_line)) != tag) {
      errors->push_back(
          LineError(header_line,
                    "group " + std::string(tag.substr(0, tag.size() - 1)) + " has no value line"));
      continue;
    }
    Consume(value_line, &text);
    ++number;
    const Header& h = known != nullptr ? *known : HeaderOf(header);
    if (h.columns.empty()) continue;
    wants = true;
    PickValues(h, value_line, header_line + 1, values, errors);
  }
  return wants;
}

ParseResult FieldPicker::Parse(std::string_view text) {
  std::vector<PickedValue> values;
  ParseResult r;
  Parse(text, &values, &r.errors);
  for (const PickedValue& v : values) {
    r.fields.push_back({keys_[v.id].group, keys_[v.id].name, v.value});
  }
  return r;
}

}  // namespace netstat::snmp
