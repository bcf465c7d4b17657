// Pure parser of /proc/net/dev: two header lines, then one line per interface,
// "name: 8 receive counters 8 transmit counters" (old kernels glue the first counter
// to the colon, so the name ends at the colon, not at whitespace).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace netstat::interfaces {

// Column order as the kernel prints it.
enum ReceiveColumn {
  kRxBytes,
  kRxPackets,
  kRxErrors,
  kRxDropped,
  kRxFifo,
  kRxFrame,
  kRxCompressed,
  kRxMulticast
};
enum TransmitColumn {
  kTxBytes,
  kTxPackets,
  kTxErrors,
  kTxDropped,
  kTxFifo,
  kTxCollisions,
  kTxCarrier,
  kTxCompressed
};

struct NetDevStats {
  std::string name;
  std::array<uint64_t, 8> receive{};
  std::array<uint64_t, 8> transmit{};
};

struct NetDevResult {
  std::vector<NetDevStats> interfaces;
  // One entry per skipped line, "line N: why"; empty when every line parsed.
  std::vector<std::string> errors;
};

NetDevResult ParseNetDev(std::string_view text);

}  // namespace netstat::interfaces
