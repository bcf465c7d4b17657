// Splitting /proc and /sys text without copying: lines, blank-separated fields, trimming.
// Every line-oriented parser uses these, so "line N" means the same thing everywhere.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>
#include <vector>

namespace netstat::procfs {

// Blanks are spaces, tabs and a stray '\r'.
inline bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

inline std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && (IsBlank(s.back()) || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// Calls fn(line, number) for every line, numbered from 1, without its '\n'. A final line
// without '\n' (a truncated file) is still visited; the empty rest after a final '\n' is not.
template <typename Fn>
void ForEachLine(std::string_view text, Fn fn) {
  size_t number = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    fn(text.substr(0, nl), ++number);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

// Splits on blanks into `fields`; returns the field count, or N + 1 when there are more
// than N (the first N are filled).
template <size_t N>
size_t SplitFields(std::string_view line, std::array<std::string_view, N>* fields) {
  size_t n = 0;
  for (;;) {
    size_t start = 0;
    while (start < line.size() && IsBlank(line[start])) ++start;
    if (start == line.size()) return n;
    if (n == N) return N + 1;
    line.remove_prefix(start);
    size_t end = 0;
    while (end < line.size() && !IsBlank(line[end])) ++end;
    (*fields)[n++] = line.substr(0, end);
    line.remove_prefix(end);
  }
}

// All blank-separated fields, for lines of no fixed width.
inline std::vector<std::string_view> SplitWords(std::string_view line) {
  std::vector<std::string_view> words;
  for (;;) {
    size_t start = 0;
    while (start < line.size() && IsBlank(line[start])) ++start;
    if (start == line.size()) return words;
    line.remove_prefix(start);
    size_t end = 0;
    while (end < line.size() && !IsBlank(line[end])) ++end;
    words.push_back(line.substr(0, end));
    line.remove_prefix(end);
  }
}

}  // namespace netstat::procfs
