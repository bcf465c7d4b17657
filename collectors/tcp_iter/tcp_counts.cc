#include "collectors/tcp_iter/tcp_counts.h"

#include <algorithm>
#include <charconv>

namespace netstat::tcp_iter {
namespace {

std::vector<uint16_t> SortedDistinct(std::vector<uint16_t> ports) {
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  return ports;
}

// The number after `key` among the words of the line starting with `prefix`.
std::optional<uint64_t> Field(std::string_view text, std::string_view prefix,
                              std::string_view key) {
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    if (line.substr(0, prefix.size()) != prefix) continue;
    line.remove_prefix(prefix.size());
    for (size_t pos = line.find(key); pos != std::string_view::npos;
         pos = line.find(key, pos + 1)) {
      const bool word_start = pos == 0 || line[pos - 1] == ' ';
      const size_t value = pos + key.size();
      if (!word_start || value >= line.size() || line[value] != ' ') continue;
      uint64_t n = 0;
      const char* first = line.data() + value + 1;
      const char* last = line.data() + line.size();
      if (std::from_chars(first, last, n).ec == std::errc()) return n;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

PortSlots::PortSlots(std::vector<uint16_t> local_ports, std::vector<uint16_t> remote_ports)
    : local(SortedDistinct(std::move(local_ports))),
      remote(SortedDistinct(std::move(remote_ports))) {}

TcpCounts Decode(const RawTotals& totals, const uint64_t (*port_counts)[kStates],
                 const PortSlots& slots) {
  TcpCounts out;
  for (size_t f = 0; f < 2; ++f) {
    std::copy_n(totals.sockets[f], kStates, out.family[f].sockets.begin());
    std::copy_n(totals.receive_queue[f], kStates, out.family[f].receive_queue.begin());
    std::copy_n(totals.send_queue[f], kStates, out.family[f].send_queue.begin());
  }
  if (!slots.Fits()) return out;
  auto row = [&](uint16_t port, uint32_t slot) {
    PortStates p;
    p.port = port;
    std::copy_n(port_counts[slot], kStates, p.sockets.begin());
    return p;
  };
  for (size_t i = 0; i < slots.local.size(); ++i) {
    out.local_ports.push_back(row(slots.local[i], slots.LocalSlot(i)));
  }
  for (size_t j = 0; j < slots.remote.size(); ++j) {
    out.remote_ports.push_back(row(slots.remote[j], slots.RemoteSlot(j)));
  }
  return out;
}

std::optional<uint64_t> TcpSocketsInUse(std::string_view sockstat, std::string_view sockstat6) {
  const auto inuse = Field(sockstat, "TCP: ", "inuse");
  const auto tw = Field(sockstat, "TCP: ", "tw");
  if (!inuse || !tw) return std::nullopt;
  return *inuse + *tw + Field(sockstat6, "TCP6: ", "inuse").value_or(0);
}

bool UseIterator(SourceMode mode, bool loaded, std::optional<uint64_t> tcp_sockets, bool using_now,
                 uint64_t crossover) {
  if (!loaded) return false;
  switch (mode) {
    case SourceMode::kNetlink:
      return false;
    case SourceMode::kBpf:
      return true;
    case SourceMode::kAuto:
      return tcp_sockets && *tcp_sockets >= (using_now ? crossover / 5 * 4 : crossover);
  }
  return false;
}

}  // namespace netstat::tcp_iter
