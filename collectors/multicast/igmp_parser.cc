#include "collectors/multicast/igmp_parser.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>

#include "readers/procfs/text.h"

namespace netstat::multicast {
namespace {

constexpr size_t kMaxFields = 8;
using Fields = std::array<std::string_view, kMaxFields>;

std::optional<uint32_t> ParseUnsigned(std::string_view s, int base) {
  uint32_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string Ipv4Group(std::string_view hex) {
  if (hex.size() != 8) return {};
  auto v = ParseUnsigned(hex, 16);
  if (!v) return {};
  // %08X of a __be32: the number's in-memory bytes are the address in network order.
  uint8_t bytes[4];
  std::memcpy(bytes, &*v, 4);
  char buf[INET_ADDRSTRLEN] = {};
  return ::inet_ntop(AF_INET, bytes, buf, sizeof buf) ? buf : "";
}

std::string Ipv6Group(std::string_view hex) {
  if (hex.size() != 32) return {};
  uint8_t bytes[16];
  for (size_t i = 0; i < 16; ++i) {
    auto b = ParseUnsigned(hex.substr(2 * i, 2), 16);
    if (!b) return {};
    bytes[i] = static_cast<uint8_t>(*b);
  }
  char buf[INET6_ADDRSTRLEN] = {};
  return ::inet_ntop(AF_INET6, bytes, buf, sizeof buf) ? buf : "";
}

template <typename ParseLine>
MembershipResult ForEachLine(std::string_view text, ParseLine parse) {
  MembershipResult result;
  procfs::ForEachLine(text, [&](std::string_view line, size_t line_no) {
    if (procfs::Trim(line).empty()) return;
    if (const char* why = parse(line, &result.memberships)) {
      result.errors.push_back("line " + std::to_string(line_no) + ": " + why);
    }
  });
  return result;
}

}  // namespace

MembershipResult ParseIgmp(std::string_view text) {
  std::string device;  // the device whose group lines follow; "" before the first
  bool device_ok = false;
  return ForEachLine(text, [&](std::string_view line, std::vector<Membership>* out) -> const char* {
    Fields f;
    size_t n = procfs::SplitFields(line, &f);
    if (n == 0 || f[0] == "Idx") return nullptr;  // header
    if (line.front() != '\t' && line.front() != ' ') {
      // "1\tlo        :     1      V3": index, name padded to 10, ':', count, querier.
      // A longer name touches the colon, so split there (names cannot hold one).
      Fields left;
      size_t colon = line.find(':');
      Fields right;
      device_ok = colon != std::string_view::npos &&
                  procfs::SplitFields(line.substr(0, colon), &left) == 2 &&
                  procfs::SplitFields(line.substr(colon + 1), &right) == 2 &&
                  ParseUnsigned(left[0], 10);
      device = device_ok ? std::string(left[1]) : std::string();
      return device_ok ? nullptr : "malformed device line";
    }
    // "\t\t\t\t010000E0     1 0:00000000\t\t0": group, users, timer, reporter.
    if (!device_ok) return "group line without a device line";
    if (n != 4) return "expected group, users, timer and reporter";
    std::string group = Ipv4Group(f[0]);
    if (group.empty()) return "malformed group address";
    out->push_back({"ipv4", device, std::move(group)});
    return nullptr;
  });
}

MembershipResult ParseIgmp6(std::string_view text) {
  return ForEachLine(text, [](std::string_view line, std::vector<Membership>* out) -> const char* {
    Fields f;
    size_t n = procfs::SplitFields(line, &f);
    // "%-4d %-15s %pi6 %5d %08X %ld": index, device, group, users, flags, timer.
    if (n != 6 || !ParseUnsigned(f[0], 10)) return "expected six fields";
    std::string group = Ipv6Group(f[2]);
    if (group.empty()) return "malformed group address";
    out->push_back({"ipv6", std::string(f[1]), std::move(group)});
    return nullptr;
  });
}

}  // namespace netstat::multicast
