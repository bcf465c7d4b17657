#include "collectors/routes/proc_route_parser.h"

#include <arpa/inet.h>

#include <array>
#include <bit>
#include <charconv>
#include <cstring>
#include <optional>

#include "readers/procfs/text.h"

namespace netstat::routes {
namespace {

// Route flags from <linux/route.h> and <linux/ipv6_route.h>.
constexpr uint32_t kRtfReject = 0x0200;
constexpr uint32_t kRtfAnycast = 0x00100000;
constexpr uint32_t kRtfCache = 0x01000000;
constexpr uint32_t kRtfLocal = 0x80000000;

constexpr size_t kMaxFields = 12;
using Fields = std::array<std::string_view, kMaxFields>;

std::optional<uint32_t> ParseHex32(std::string_view s) {
  uint32_t v = 0;
  if (s.empty() || s.size() > 8) return std::nullopt;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// 32 hex digits, network order as the kernel's %pi6 without colons.
bool ParseHex128(std::string_view s, uint8_t out[16]) {
  if (s.size() != 32) return false;
  for (size_t i = 0; i < 16; ++i) {
    auto byte = ParseHex32(s.substr(2 * i, 2));
    if (!byte) return false;
    out[i] = static_cast<uint8_t>(*byte);
  }
  return true;
}

// Calls parse(line) for each non-empty line but a leading "Iface" header (route only),
// recording "line N: why" for every line it rejects.
template <typename ParseLine>
RouteResult ForEachLine(std::string_view text, bool skip_header, ParseLine parse) {
  RouteResult result;
  procfs::ForEachLine(text, [&](std::string_view line, size_t line_no) {
    if (line_no == 1 && skip_header && line.starts_with("Iface")) return;
    if (procfs::Trim(line).empty()) return;
    if (const char* why = parse(line, &result.routes)) {
      result.errors.push_back("line " + std::to_string(line_no) + ": " + why);
    }
  });
  return result;
}

// Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT
const char* ParseIpv4Line(std::string_view line, std::vector<Route>* out) {
  Fields f;
  size_t n = procfs::SplitFields(line, &f);
  if (n < 8 || n > kMaxFields) return "expected 11 columns";
  auto dst = ParseHex32(f[1]), gw = ParseHex32(f[2]), mask = ParseHex32(f[7]);
  if (!dst || !gw || !mask || !ParseHex32(f[3])) return "bad hex address, flags or mask";
  // The kernel prints each __be32 with %08X, so the number's in-memory bytes are the
  // address in network order on the host that wrote the file.
  uint8_t dst_bytes[4], gw_bytes[4];
  std::memcpy(dst_bytes, &*dst, 4);
  std::memcpy(gw_bytes, &*gw, 4);
  Route r;
  r.family = "ipv4";
  r.destination = FormatCidr(AF_INET, dst_bytes, std::popcount(*mask));
  if (*gw != 0) r.gateway = FormatAddress(AF_INET, gw_bytes);
  if (f[0] != "*") r.interface = std::string(f[0]);
  out->push_back(std::move(r));
  return nullptr;
}

// dst dst_len src src_len next_hop metric refcnt use flags device
const char* ParseIpv6Line(std::string_view line, std::vector<Route>* out) {
  Fields f;
  size_t n = procfs::SplitFields(line, &f);
  if (n != 10) return "expected 10 columns";
  uint8_t dst[16], gw[16], src[16];
  auto dst_len = ParseHex32(f[1]), metric = ParseHex32(f[5]), flags = ParseHex32(f[8]);
  if (!ParseHex128(f[0], dst) || !ParseHex128(f[2], src) || !ParseHex128(f[4], gw) || !dst_len ||
      *dst_len > 128 || !metric || !flags) {
    return "bad hex address, prefix length, metric or flags";
  }
  if (*flags & (kRtfLocal | kRtfAnycast | kRtfCache)) return nullptr;
  // The kernel's own ff00::/8 multicast route lives in the local table; a longer
  // multicast prefix (`ip addr add ff05::1:3/128 autojoin`) is a main-table route.
  if (dst[0] == 0xff && *dst_len == 8) return nullptr;
  if (*dst_len == 0 && *metric == 0xffffffff && (*flags & kRtfReject)) return nullptr;
  static constexpr uint8_t kZero[16] = {};
  Route r;
  r.family = "ipv6";
  r.destination = FormatCidr(AF_INET6, dst, *dst_len);
  if (std::memcmp(gw, kZero, 16) != 0) r.gateway = FormatAddress(AF_INET6, gw);
  r.interface = std::string(f[9]);
  out->push_back(std::move(r));
  return nullptr;
}

}  // namespace

RouteResult ParseProcRoute(std::string_view text) {
  return ForEachLine(text, /*skip_header=*/true, ParseIpv4Line);
}

RouteResult ParseIpv6Route(std::string_view text) {
  return ForEachLine(text, /*skip_header=*/false, ParseIpv6Line);
}

}  // namespace netstat::routes
