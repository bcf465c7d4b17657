#include "readers/tcp_iter/host_walk_decode.h"

#include <algorithm>

namespace netstat::tcp_iter {
namespace {

std::vector<uint16_t> SortedDistinct(std::vector<uint16_t> ports) {
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  return ports;
}

PortStates Row(uint16_t port, const HostRaw& raw, uint32_t row) {
  PortStates p;
  p.port = port;
  std::copy_n(raw.port_counts[row], kStates, p.sockets.begin());
  if (raw.port_rtt != nullptr) p.rtt = RttOf(raw.port_rtt[row]);
  return p;
}

}  // namespace

bool PlanRows(std::vector<std::vector<uint16_t>> local, std::vector<uint16_t> remote,
              HostRows* rows) {
  *rows = HostRows{};
  rows->remote = SortedDistinct(std::move(remote));
  uint64_t next = 1;
  for (auto& ports : local) {
    ports = SortedDistinct(std::move(ports));
    std::vector<uint32_t> at;
    for (size_t i = 0; i < ports.size(); ++i) at.push_back(static_cast<uint32_t>(next++));
    rows->local_row.push_back(std::move(at));
    rows->local.push_back(std::move(ports));
  }
  const uint64_t used = next + static_cast<uint64_t>(local.size()) * rows->remote.size();
  if (used > NETSTAT_HOST_MAX_ROWS) return false;
  rows->remote_base = static_cast<uint32_t>(next);
  rows->used = static_cast<uint32_t>(used);
  rows->table_ok.assign(local.size(), true);
  return true;
}

uint32_t LocalPortSlot(uint32_t key) {
  return (key * 2654435761u) >> (32 - NETSTAT_HOST_LPORT_BITS);
}

void FillLocalPortTable(HostRows* rows, uint32_t* keys, uint32_t* values) {
  std::fill_n(keys, NETSTAT_HOST_LPORT_TABLE, 0u);
  std::fill_n(values, NETSTAT_HOST_LPORT_TABLE, 0u);
  for (size_t ns = 0; ns < rows->local.size(); ++ns) {
    for (size_t i = 0; i < rows->local[ns].size(); ++i) {
      const uint32_t key = ((static_cast<uint32_t>(ns) + 1) << 16) | rows->local[ns][i];
      const uint32_t h = LocalPortSlot(key);
      bool placed = false;
      for (uint32_t p = 0; p < NETSTAT_HOST_LPORT_PROBES && !placed; ++p) {
        const uint32_t s = (h + p) & (NETSTAT_HOST_LPORT_TABLE - 1);
        if (keys[s] == 0) {
          keys[s] = key;
          values[s] = rows->local_row[ns][i];
          placed = true;
        }
      }
      if (!placed) rows->table_ok[ns] = false;
    }
  }
}

uint32_t LookupLocalPort(const uint32_t* keys, const uint32_t* values, uint32_t ns, uint16_t port) {
  const uint32_t key = ((ns + 1) << 16) | port, h = LocalPortSlot(key);
  for (uint32_t p = 0; p < NETSTAT_HOST_LPORT_PROBES; ++p) {
    const uint32_t s = (h + p) & (NETSTAT_HOST_LPORT_TABLE - 1);
    if (keys[s] == key) return values[s];
    if (keys[s] == 0) return 0;
  }
  return 0;
}

socket_table::InetSocket ListenerSocket(const netstat_host_listener& l) {
  socket_table::InetSocket s{};
  s.protocol = socket_table::Protocol::kTcp;
  s.family = l.family ? socket_table::Family::kIpv6 : socket_table::Family::kIpv4;
  s.state = socket_table::kListen;
  s.local_port = l.port;
  std::copy_n(l.address, 16, s.local_address.begin());
  s.receive_queue = l.ack_backlog;
  s.send_queue = l.max_ack_backlog;
  s.uid = l.uid;
  s.inode = l.inode;
  s.bound_interface = l.bound_if;
  return s;
}

socket_table::InetSocket UdpSocket(const netstat_host_udp& u) {
  socket_table::InetSocket s{};
  s.protocol = u.kind == NETSTAT_HOST_RAW       ? socket_table::Protocol::kRaw
               : u.kind == NETSTAT_HOST_UDPLITE ? socket_table::Protocol::kUdpLite
                                                : socket_table::Protocol::kUdp;
  s.family = u.family ? socket_table::Family::kIpv6 : socket_table::Family::kIpv4;
  s.state = u.state;
  s.local_port = u.local_port;
  s.remote_port = u.remote_port;
  std::copy_n(u.local, 16, s.local_address.begin());
  std::copy_n(u.remote, 16, s.remote_address.begin());
  s.receive_queue = u.rqueue;
  s.send_queue = u.wqueue;
  s.uid = u.uid;
  s.inode = u.inode;
  s.bound_interface = u.bound_if;
  return s;
}

std::vector<HostNamespace> DecodeHost(const HostRaw& raw, const std::vector<uint64_t>& inodes,
                                      const HostRows& rows) {
  std::vector<HostNamespace> out(std::min(inodes.size(), raw.ns_count));
  for (size_t i = 0; i < out.size(); ++i) {
    HostNamespace& ns = out[i];
    const netstat_host_ns& st = raw.ns[i];
    ns.inode = inodes[i];
    ns.own_hash = st.own_hash != 0;
    const bool hash_ok = st.own_hash ? st.own_walked && st.incomplete == 0 : !raw.host_incomplete;
    const bool table_ok = i < rows.table_ok.size() && rows.table_ok[i];
    ns.complete = st.found && hash_ok && !st.own_lhash && !raw.listener_overflow &&
                  !raw.listen_incomplete && table_ok;
    const bool udp_table_ok = st.own_udp ? st.own_udp_walked && st.own_udp_incomplete == 0 : true;
    ns.udp_complete = st.found && udp_table_ok && raw.udp != nullptr && !raw.udp_incomplete;
    ns.raw_complete = st.found && raw.udp != nullptr && !raw.raw_incomplete;
    ns.unix_empty = st.found && st.unix_read && !st.unix_used;
    for (size_t f = 0; f < 2; ++f) {
      std::copy_n(raw.totals[i].sockets[f], kStates, ns.counts.family[f].sockets.begin());
      std::copy_n(raw.totals[i].receive_queue[f], kStates,
                  ns.counts.family[f].receive_queue.begin());
      std::copy_n(raw.totals[i].send_queue[f], kStates, ns.counts.family[f].send_queue.begin());
    }
    if (i < rows.local.size()) {
      for (size_t j = 0; j < rows.local[i].size(); ++j) {
        ns.counts.local_ports.push_back(Row(rows.local[i][j], raw, rows.local_row[i][j]));
      }
    }
    for (size_t j = 0; j < rows.remote.size(); ++j) {
      const uint32_t row = rows.remote_base + static_cast<uint32_t>(i * rows.remote.size() + j);
      ns.counts.remote_ports.push_back(Row(rows.remote[j], raw, row));
    }
  }
  for (size_t k = 0; k < raw.listener_count; ++k) {
    const netstat_host_listener& l = raw.listeners[k];
    if (l.ns < out.size()) out[l.ns].listeners.push_back(ListenerSocket(l));
  }
  for (size_t k = 0; raw.udp != nullptr && k < raw.udp_count; ++k) {
    const netstat_host_udp& u = raw.udp[k];
    if (u.ns >= out.size()) continue;
    if (u.kind == NETSTAT_HOST_RAW) {
      if (out[u.ns].raw_complete) out[u.ns].raw.push_back(UdpSocket(u));
    } else if (out[u.ns].udp_complete) {
      out[u.ns].udp.push_back(UdpSocket(u));
    }
  }
  return out;
}

}  // namespace netstat::tcp_iter
