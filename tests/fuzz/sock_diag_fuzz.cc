// The sock_diag reply walker on raw bytes, as one recv() of a dump would give them.
// Both decoders see every input, with and without the port check. The bytes are copied
// first: a recv() buffer is aligned, libFuzzer's data need not be.
#include <vector>

#include "readers/socket_table/sock_diag_parser.h"

namespace {

using netstat::socket_table::ChunkResult;

constexpr uint32_t kSeq = 7;  // what fuzz_seeds writes
constexpr uint32_t kPort = 4242;

void Walk(std::span<const uint8_t> bytes, uint32_t portid) {
  uint32_t visited = 0;
  ChunkResult r = netstat::socket_table::ParseInetChunk(
      bytes, kSeq, portid, netstat::socket_table::Protocol::kTcp,
      [&](const netstat::socket_table::InetSocket&) { ++visited; });
  if (r.sockets != visited) __builtin_trap();
  visited = 0;
  r = netstat::socket_table::ParseUnixChunk(
      bytes, kSeq, portid, [&](const netstat::socket_table::UnixSocket&) { ++visited; });
  if (r.sockets != visited) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes(data, data + size);
  Walk(bytes, 0);
  Walk(bytes, kPort);
  return 0;
}
