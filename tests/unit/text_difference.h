// Where two exposition texts part, for a failure message that does not print megabytes.
#pragma once

#include <string>

namespace netstat::daemon {

inline std::string FirstDifference(const std::string& ours, const std::string& theirs) {
  size_t i = 0;
  while (i < ours.size() && i < theirs.size() && ours[i] == theirs[i]) ++i;
  const size_t line = i == 0 ? std::string::npos : ours.rfind('\n', i - 1);
  const size_t from = line == std::string::npos ? 0 : line + 1;
  return "at byte " + std::to_string(i) + "\nours:   " + ours.substr(from, 200) +
         "\ntheirs: " + theirs.substr(from, 200);
}

}  // namespace netstat::daemon
