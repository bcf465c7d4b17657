#include "readers/tcp_iter/tcp_counts.h"

#include <algorithm>

#include "readers/sockstat/sockstat_parser.h"
#include "readers/tcp_iter/host_counts.h"

namespace netstat::tcp_iter {
namespace {

std::vector<uint16_t> SortedDistinct(std::vector<uint16_t> ports) {
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  return ports;
}

// `asked` (sorted, distinct), each with its row in `rows` (ascending) or zeros.
std::vector<PortStates> RowsFor(const std::vector<PortStates>& rows,
                                const std::vector<uint16_t>& asked) {
  std::vector<PortStates> out;
  out.reserve(asked.size());
  auto it = rows.begin();
  for (uint16_t port : asked) {
    while (it != rows.end() && it->port < port) ++it;
    if (it != rows.end() && it->port == port) {
      out.push_back(*it);
    } else {
      PortStates zero;
      zero.port = port;
      out.push_back(zero);
    }
  }
  return out;
}

}  // namespace

TcpCounts CountsFor(const TcpCounts& walked, const std::vector<uint16_t>& local_ports,
                    const std::vector<uint16_t>& remote_ports) {
  TcpCounts out;
  out.family = walked.family;
  out.local_ports = RowsFor(walked.local_ports, SortedDistinct(local_ports));
  out.remote_ports = RowsFor(walked.remote_ports, SortedDistinct(remote_ports));
  return out;
}

PortSlots::PortSlots(std::vector<uint16_t> local_ports, std::vector<uint16_t> remote_ports)
    : local(SortedDistinct(std::move(local_ports))),
      remote(SortedDistinct(std::move(remote_ports))) {}

TcpCounts Decode(const RawTotals& totals, const uint64_t (*port_counts)[kStates],
                 const PortSlots& slots, const netstat_tcp_port_rtt* port_rtt) {
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
    if (port_rtt != nullptr) p.rtt = RttOf(port_rtt[slot]);
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
  std::optional<uint64_t> inuse, tw, inuse6;
  for (std::string_view text : {sockstat, sockstat6}) {
    for (const auto& v : sockets::ParseSockstat(text).values) {
      if (v.group == "TCP" && v.field == "inuse") inuse = v.value;
      if (v.group == "TCP" && v.field == "tw") tw = v.value;
      if (v.group == "TCP6" && v.field == "inuse") inuse6 = v.value;
    }
  }
  if (!inuse || !tw) return std::nullopt;
  return *inuse + *tw + inuse6.value_or(0);
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
