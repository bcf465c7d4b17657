#include "readers/proctable/proc_parsers.h"

#include <array>
#include <charconv>

#include "readers/procfs/text.h"

namespace netstat::proctable {
namespace {

constexpr size_t kCommMax = 15;  // TASK_COMM_LEN - 1

template <typename T>
bool ParseNumber(std::string_view s, T* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
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
  std::array<std::string_view, 20> fields;
  if (procfs::SplitFields(text.substr(close + 1), &fields) < fields.size()) return std::nullopt;
  if (!ParseNumber(fields.back(), &out.starttime) || fields[0].size() != 1 ||
      !ParseNumber(fields[6], &out.flags)) {
    return std::nullopt;
  }
  out.state = fields[0][0];
  return out;
}

std::optional<uint32_t> ParseStatusEffectiveUid(std::string_view text) {
  std::optional<uint32_t> uid;
  bool seen = false;
  procfs::ForEachLine(text, [&](std::string_view line, size_t) {
    if (seen || line.substr(0, 4) != "Uid:") return;
    seen = true;
    std::array<std::string_view, 3> fields;  // key, real, effective
    uint32_t value = 0;
    if (procfs::SplitFields(line, &fields) >= fields.size() && ParseNumber(fields[2], &value)) {
      uid = value;
    }
  });
  return uid;
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
  procfs::ForEachLine(text, [&](std::string_view line, size_t) {
    // name:password:uid:...
    size_t c1 = line.find(':');
    if (c1 == 0 || c1 == std::string_view::npos || line.front() == '#') return;
    size_t c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) return;
    size_t c3 = line.find(':', c2 + 1);
    if (c3 == std::string_view::npos) return;
    uint32_t uid = 0;
    if (!ParseNumber(line.substr(c2 + 1, c3 - c2 - 1), &uid)) return;
    out.emplace(uid, std::string(line.substr(0, c1)));
  });
  return out;
}

}  // namespace netstat::proctable
