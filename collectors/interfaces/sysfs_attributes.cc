#include "collectors/interfaces/sysfs_attributes.h"

#include <sys/stat.h>

#include <charconv>

#include "collectors/procfs/root.h"

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

// Reads one attribute; empty when unreadable (speed answers EINVAL when unknown, and a
// device without a MAC has an empty address).
std::string ReadAttribute(const std::string& dir, const char* attribute) {
  std::string text;
  if (procfs::ReadFile(dir + "/" + attribute, &text) != 0) return {};
  return std::string(TrimLine(text));
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
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return std::nullopt;
  SysfsAttributes attrs;
  attrs.address = ReadAttribute(dir, "address");
  attrs.operstate = ReadAttribute(dir, "operstate");
  attrs.flags = ParseHexFlags(ReadAttribute(dir, "flags"));
  attrs.mtu = ParseDecimal(ReadAttribute(dir, "mtu"));
  attrs.speed_mbps = ParseSpeed(ReadAttribute(dir, "speed"));
  // The directory may vanish while we read it: with no operstate we know nothing.
  if (attrs.operstate.empty() && !attrs.flags) return std::nullopt;
  return attrs;
}

bool IsUp(const SysfsAttributes& attrs) {
  if (attrs.operstate == "up") return true;
  return attrs.operstate == "unknown" && attrs.flags && (*attrs.flags & kIffUp) != 0;
}

}  // namespace netstat::interfaces
