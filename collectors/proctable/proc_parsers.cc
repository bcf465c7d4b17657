#include "collectors/proctable/proc_parsers.h"

#include <charconv>

namespace netstat::proctable {
namespace {

constexpr size_t kCommMax = 15;  // TASK_COMM_LEN - 1

template <typename T>
bool ParseNumber(std::string_view s, T* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::string_view NextField(std::string_view* rest) {
  while (!rest->empty() && rest->front() == ' ') rest->remove_prefix(1);
  size_t end = rest->find(' ');
  std::string_view field = rest->substr(0, end);
  rest->remove_prefix(end == std::string_view::npos ? rest->size() : end);
  return field;
}

}  // namespace

std::optional<StatFields> ParseStat(std::string_view text) {
  size_t open = text.find('(');
  size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return std::nullopt;
  }
  StatFields out;
  out.comm = std::string(text.substr(open + 1, close - open - 1));
  // After ')' come fields 3 (state) .. 22 (starttime): starttime is the 20th.
  std::string_view rest = text.substr(close + 1);
  std::string_view field;
  for (int i = 0; i < 20; ++i) field = NextField(&rest);
  if (!ParseNumber(field, &out.starttime)) return std::nullopt;
  return out;
}

std::optional<uint64_t> ParseSocketLink(std::string_view target) {
  constexpr std::string_view kPrefix = "socket:[";
  if (target.size() < kPrefix.size() + 2 || target.substr(0, kPrefix.size()) != kPrefix ||
      target.back() != ']') {
    return std::nullopt;
  }
  uint64_t inode = 0;
  if (!ParseNumber(target.substr(kPrefix.size(), target.size() - kPrefix.size() - 1), &inode)) {
    return std::nullopt;
  }
  return inode;
}

std::string FormatCmdline(std::string_view raw, size_t max_bytes) {
  while (!raw.empty() && (raw.back() == '\0' || raw.back() == ' ')) raw.remove_suffix(1);
  std::string out(raw.substr(0, max_bytes));
  for (char& c : out) {
    if (c == '\0' || c == '\n' || c == '\t') c = ' ';
  }
  return out;
}

std::string ProcessName(std::string_view comm, std::string_view raw_cmdline) {
  if (comm.size() != kCommMax) return std::string(comm);
  std::string_view argv0 = raw_cmdline.substr(0, raw_cmdline.find('\0'));
  // The base name is taken before any title text, so "/usr/bin/x: /a/b" stays whole.
  size_t title = argv0.find_first_of(" :");
  size_t slash = argv0.substr(0, title).rfind('/');
  if (slash != std::string_view::npos) argv0.remove_prefix(slash + 1);
  if (argv0.size() <= comm.size() || argv0.substr(0, comm.size()) != comm) {
    return std::string(comm);
  }
  size_t end = argv0.find_first_of(" :", comm.size());
  // No NUL and no title separator: the read may have cut argv[0]; the kernel's own
  // (cut) name is better than a fragment of ours.
  if (end == std::string_view::npos && raw_cmdline.find('\0') == std::string_view::npos) {
    return std::string(comm);
  }
  return std::string(argv0.substr(0, end));
}

std::unordered_map<uint32_t, std::string> ParsePasswd(std::string_view text) {
  std::unordered_map<uint32_t, std::string> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    // name:password:uid:...
    size_t c1 = line.find(':');
    if (c1 == 0 || c1 == std::string_view::npos || line.front() == '#') continue;
    size_t c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    size_t c3 = line.find(':', c2 + 1);
    if (c3 == std::string_view::npos) continue;
    uint32_t uid = 0;
    if (!ParseNumber(line.substr(c2 + 1, c3 - c2 - 1), &uid)) continue;
    out.emplace(uid, std::string(line.substr(0, c1)));
  }
  return out;
}

}  // namespace netstat::proctable
