// Pure parsers for the per-process files the owner resolver reads: /proc/PID/stat,
// /proc/PID/cmdline, fd link targets ("socket:[INODE]") and passwd files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace netstat::proctable {

struct StatFields {
  std::string comm;        // between the first '(' and the last ')'
  char state = '?';        // field 3: R, S, D, Z, X...
  uint32_t flags = 0;      // field 9: PF_* flags (PF_EXITING once do_exit() began)
  uint64_t starttime = 0;  // field 22, clock ticks since boot
};
constexpr uint32_t kPfExiting = 0x4;  // PF_EXITING, include/linux/sched.h

// Parses /proc/PID/stat. The comm may hold spaces and ')', so fields are counted from
// the last ')'. nullopt when the text is truncated or malformed.
std::optional<StatFields> ParseStat(std::string_view text);

// "socket:[12345]" -> 12345; nullopt for any other link target.
std::optional<uint64_t> ParseSocketLink(std::string_view target);

// /proc/PID/cmdline (NUL-separated argv) as one line: NULs become spaces, trailing
// NULs and spaces are dropped, the result is cut at `max_bytes`.
std::string FormatCmdline(std::string_view raw, size_t max_bytes = 512);

// The process name as `ps -o comm` shows it, but untruncated: the kernel cuts comm at
// 15 bytes, so when comm is exactly 15 bytes and argv[0]'s base name starts with it,
// the name continues with argv[0] up to the first space or ':' (processes that rewrite
// their title, like "postgres: writer", put it all in argv[0]).
std::string ProcessName(std::string_view comm, std::string_view raw_cmdline);

// The effective uid from /proc/PID/status ("Uid:\treal\teffective\t..."); nullopt when
// the line is missing or malformed.
std::optional<uint32_t> ParseStatusEffectiveUid(std::string_view text);

// passwd(5) text -> uid to name; the first entry for a uid wins, bad lines are skipped.
std::unordered_map<uint32_t, std::string> ParsePasswd(std::string_view text);

}  // namespace netstat::proctable
