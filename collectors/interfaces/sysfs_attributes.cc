#include "collectors/interfaces/sysfs_attributes.h"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>

#include "readers/procfs/root.h"

namespace netstat::interfaces {
namespace {

constexpr uint32_t kIffUp = 0x1;

std::string_view TrimLine(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

template <typename T>
std::optional<T> ParseWhole(std::string_view s, int base) {
  T v{};
  if (s.empty()) return std::nullopt;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// Reads one attribute into *text (empty when absent). An attribute may be missing (the
// interface vanished, a driver without it) or answer EINVAL (speed, when unknown); any
// other failure, a file that is not a single whole line, is recorded in *problem.
void ReadAttribute(const std::string& dir, const char* attribute, std::string* text,
                   std::string* problem) {
  const int err =
      procfs::ReadTextFile(dir + "/" + attribute, text, false, procfs::kMaxAttributeBytes);
  if (err == 0 && text->find('\n') + 1 == text->size()) {
    *text = std::string(TrimLine(*text));
    return;
  }
  if (err != ENOENT && err != EINVAL && problem->empty()) {
    *problem = dir + "/" + attribute + ": " + (err ? procfs::ErrorText(err) : "more than one line");
  }
  text->clear();
}

// The kernel's operstate words (IF_OPER_* in net/core/net-sysfs.c).
bool IsOperstate(std::string_view s) {
  for (std::string_view w :
       {"unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up"}) {
    if (s == w) return true;
  }
  return false;
}

// "aa:bb:cc:dd:ee:ff" (any number of hex pairs), or empty for a device without one.
bool IsHardwareAddress(std::string_view s) {
  if (s.empty()) return true;
  if (s.size() % 3 != 2) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (i % 3 == 2 ? c != ':' : !hex) return false;
  }
  return true;
}

}  // namespace

std::optional<uint32_t> ParseHexFlags(std::string_view text) {
  text = TrimLine(text);
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
  }
  return ParseWhole<uint32_t>(text, 16);
}

std::optional<uint64_t> ParseDecimal(std::string_view text) {
  return ParseWhole<uint64_t>(TrimLine(text), 10);
}

std::optional<uint64_t> ParseSpeed(std::string_view text) {
  // The kernel prints SPEED_UNKNOWN as -1 on some versions; it is negative as an int
  // and so never parses as an unsigned value.
  return ParseDecimal(text);
}

std::optional<SysfsAttributes> ReadSysfsAttributes(const std::string& class_net,
                                                   const std::string& name) {
  const std::string dir = class_net + "/" + name;
  struct stat st {};
  const int err = ::stat(dir.c_str(), &st) == 0 ? 0 : errno;
  if (err == ENOENT) return std::nullopt;  // vanished
  SysfsAttributes attrs;
  if (err != 0 || !S_ISDIR(st.st_mode)) {
    attrs.problem = dir + ": " + (err ? procfs::ErrorText(err) : "not a directory");
    return attrs;
  }
  std::string text;
  auto read = [&](const char* attribute) {
    ReadAttribute(dir, attribute, &text, &attrs.problem);
    return !text.empty();
  };
  auto bad = [&](const char* attribute) {
    if (attrs.problem.empty()) attrs.problem = dir + "/" + attribute + ": unexpected value";
  };
  read("address");
  if (IsHardwareAddress(text)) {
    attrs.address = text;
  } else {
    bad("address");
  }
  if (read("operstate") && IsOperstate(text)) {
    attrs.operstate = text;
  } else if (!text.empty()) {
    bad("operstate");
  }
  if (read("flags") && !(attrs.flags = ParseHexFlags(text))) bad("flags");
  if (read("mtu") && !(attrs.mtu = ParseDecimal(text))) bad("mtu");
  // Older kernels print an unknown speed as -1.
  if (read("speed") && !(attrs.speed_mbps = ParseSpeed(text)) && text != "-1") bad("speed");
  // The directory may vanish while we read it: with no operstate we know nothing.
  if (attrs.operstate.empty() && !attrs.flags && attrs.problem.empty()) return std::nullopt;
  return attrs;
}

bool IsUp(const SysfsAttributes& attrs) {
  if (attrs.operstate == "up") return true;
  return attrs.operstate == "unknown" && attrs.flags && (*attrs.flags & kIffUp) != 0;
}

}  // namespace netstat::interfaces
