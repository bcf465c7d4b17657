// The few /sys/class/net/IFACE attributes the interfaces collector publishes: reading
// them (ReadSysfsAttributes) and the pure rules on their text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace netstat::interfaces {

struct SysfsAttributes {
  std::string address;            // MAC as the kernel prints it; empty for devices without one
  std::string operstate;          // "up", "down", "unknown", "lowerlayerdown", ...
  std::optional<uint32_t> flags;  // dev->flags; IFF_UP is bit 0
  std::optional<uint64_t> mtu;
  std::optional<uint64_t> speed_mbps;  // unset when the kernel does not know it
  // The first attribute that could not be read or parsed ("<dir>/mtu: ..."); that
  // attribute is left unset, the others are kept.
  std::string problem;
};

// Reads <class_net>/<name>/{address,operstate,flags,mtu,speed}. Returns nullopt when
// the interface directory has gone (it vanished after /proc/net/dev was read). A value
// that is not what the kernel writes is left out and named in `problem`.
std::optional<SysfsAttributes> ReadSysfsAttributes(const std::string& class_net,
                                                   const std::string& name);

// "0x1003\n" -> 0x1003; nullopt on anything else.
std::optional<uint32_t> ParseHexFlags(std::string_view text);
// "1500\n" -> 1500; nullopt on anything else.
std::optional<uint64_t> ParseDecimal(std::string_view text);
// "1000\n" -> 1000; "-1" (unknown, older kernels) or garbage -> nullopt.
std::optional<uint64_t> ParseSpeed(std::string_view text);

// The SPEC rule: operstate "up", or "unknown" with IFF_UP set (loopback, tun, some
// virtual devices that do not report a carrier).
bool IsUp(const SysfsAttributes& attrs);

}  // namespace netstat::interfaces
