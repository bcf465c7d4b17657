// HostWalk's pure half: the port rows, the (namespace, port) table as the program probes
// it, and the decoding of the program's memory into HostNamespace, on hand-made memory.
#include "readers/tcp_iter/host_walk_decode.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace netstat::tcp_iter {
namespace {

namespace st = socket_table;

TEST(HostWalkDecode, PlansRowsLocalFirstThenRemotePerNamespace) {
  HostRows rows;
  ASSERT_TRUE(PlanRows({{443, 80, 80}, {}, {22}}, {5432, 53, 53}, &rows));
  EXPECT_EQ(rows.local[0], (std::vector<uint16_t>{80, 443}));
  EXPECT_EQ(rows.local_row[0], (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(rows.local_row[2], (std::vector<uint32_t>{3}));
  EXPECT_EQ(rows.remote, (std::vector<uint16_t>{53, 5432}));
  EXPECT_EQ(rows.remote_base, 4u);
  EXPECT_EQ(rows.used, 4u + 3 * 2);
  EXPECT_TRUE(PlanRows({std::vector<uint16_t>(10), {}}, std::vector<uint16_t>(9000, 1), &rows))
      << "one remote port for 2 namespaces fits";
  std::vector<uint16_t> many;
  for (int p = 1; p <= 9000; ++p) many.push_back(static_cast<uint16_t>(p));
  EXPECT_FALSE(PlanRows({many, many}, {}, &rows));
}

TEST(HostWalkDecode, LocalPortTableFindsWhatItHolds) {
  std::vector<std::vector<uint16_t>> local(300);
  for (size_t ns = 0; ns < local.size(); ++ns)
    local[ns] = {22, 80, static_cast<uint16_t>(1000 + ns)};
  HostRows rows;
  ASSERT_TRUE(PlanRows(local, {}, &rows));
  std::vector<uint32_t> keys(NETSTAT_HOST_LPORT_TABLE), values(NETSTAT_HOST_LPORT_TABLE);
  FillLocalPortTable(&rows, keys.data(), values.data());
  for (size_t ns = 0; ns < local.size(); ++ns) {
    ASSERT_TRUE(rows.table_ok[ns]);
    for (size_t i = 0; i < rows.local[ns].size(); ++i) {
      EXPECT_EQ(
          LookupLocalPort(keys.data(), values.data(), static_cast<uint32_t>(ns), rows.local[ns][i]),
          rows.local_row[ns][i]);
    }
    EXPECT_EQ(LookupLocalPort(keys.data(), values.data(), static_cast<uint32_t>(ns), 443), 0u);
  }
}

TEST(HostWalkDecode, DecodesCountsPortsAndListeners) {
  HostRows rows;
  ASSERT_TRUE(PlanRows({{80}, {8080}, {}}, {5432}, &rows));
  std::vector<netstat_host_ns> ns(3);
  ns[0].found = 1;
  ns[1].found = 1;
  ns[1].own_hash = 1;
  ns[1].own_walked = 1;
  ns[2].found = 0;  // gone
  std::vector<netstat_tcp_totals> totals(3);
  totals[0].sockets[0][st::kEstablished] = 3;
  totals[0].receive_queue[0][st::kEstablished] = 10;
  totals[1].sockets[1][st::kTimeWait] = 2;
  totals[1].send_queue[1][st::kCloseWait] = 7;
  auto ports = std::make_unique<__u32[][kStates]>(rows.used);
  ports[rows.local_row[0][0]][st::kEstablished] = 2;
  ports[rows.remote_base + 1][st::kSynRecv] = 4;  // namespace 1, remote 5432
  netstat_host_listener l{};
  l.ns = 1;
  l.family = 1;
  l.address[15] = 1;  // ::1
  l.port = 8080;
  l.ack_backlog = 1;
  l.max_ack_backlog = 128;
  l.uid = 1000;
  l.inode = 4242;
  l.bound_if = 3;
  HostRaw raw;
  raw.ns_count = 3;
  raw.ns = ns.data();
  raw.totals = totals.data();
  raw.port_counts = ports.get();
  raw.listeners = &l;
  raw.listener_count = 1;
  auto out = DecodeHost(raw, {100, 200, 300}, rows);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].inode, 100u);
  EXPECT_TRUE(out[0].complete);
  EXPECT_FALSE(out[0].own_hash);
  EXPECT_EQ(out[0].counts.family[0].sockets[st::kEstablished], 3u);
  EXPECT_EQ(out[0].counts.family[0].receive_queue[st::kEstablished], 10u);
  ASSERT_EQ(out[0].counts.local_ports.size(), 1u);
  EXPECT_EQ(out[0].counts.local_ports[0].port, 80);
  EXPECT_EQ(out[0].counts.local_ports[0].sockets[st::kEstablished], 2u);
  ASSERT_EQ(out[0].counts.remote_ports.size(), 1u);
  EXPECT_EQ(out[0].counts.remote_ports[0].sockets[st::kSynRecv], 0u);
  EXPECT_TRUE(out[1].complete);
  EXPECT_TRUE(out[1].own_hash);
  EXPECT_EQ(out[1].counts.family[1].sockets[st::kTimeWait], 2u);
  EXPECT_EQ(out[1].counts.family[1].send_queue[st::kCloseWait], 7u);
  EXPECT_EQ(out[1].counts.remote_ports[0].port, 5432);
  EXPECT_EQ(out[1].counts.remote_ports[0].sockets[st::kSynRecv], 4u);
  ASSERT_EQ(out[1].listeners.size(), 1u);
  const st::InetSocket& s = out[1].listeners[0];
  EXPECT_EQ(s.protocol, st::Protocol::kTcp);
  EXPECT_EQ(s.family, st::Family::kIpv6);
  EXPECT_EQ(s.state, st::kListen);
  EXPECT_EQ(s.local_port, 8080);
  EXPECT_EQ(st::FormatAddress(s.family, s.local_address), "::1");
  EXPECT_EQ(s.receive_queue, 1u);
  EXPECT_EQ(s.send_queue, 128u);
  EXPECT_EQ(s.uid, 1000u);
  EXPECT_EQ(s.inode, 4242u);
  EXPECT_EQ(s.bound_interface, 3u);
  EXPECT_FALSE(out[2].complete) << "not found";
  EXPECT_TRUE(out[0].listeners.empty());

  // Incomplete walks: the host's hash for namespaces in it, an own hash for its owner,
  // the listening hash and the listener records for all.
  raw.host_incomplete = true;
  out = DecodeHost(raw, {100, 200, 300}, rows);
  EXPECT_FALSE(out[0].complete);
  EXPECT_TRUE(out[1].complete);
  raw.host_incomplete = false;
  ns[1].incomplete = 1;
  out = DecodeHost(raw, {100, 200, 300}, rows);
  EXPECT_TRUE(out[0].complete);
  EXPECT_FALSE(out[1].complete);
  ns[1].incomplete = 0;
  raw.listener_overflow = true;
  out = DecodeHost(raw, {100, 200, 300}, rows);
  EXPECT_FALSE(out[0].complete);
  EXPECT_FALSE(out[1].complete);
}

TEST(HostWalkDecode, DecodesUdpRecords) {
  HostRows rows;
  ASSERT_TRUE(PlanRows({{}, {}, {}}, {}, &rows));
  std::vector<netstat_host_ns> ns(3);
  ns[0].found = 1;
  ns[1].found = 1;
  ns[1].own_udp = 1;  // a UDP table of its own, not walked
  ns[2].found = 0;
  std::vector<netstat_tcp_totals> totals(3);
  auto ports = std::make_unique<__u32[][kStates]>(rows.used);
  std::vector<netstat_host_udp> udp(3);
  udp[0].ns = 0;
  udp[0].family = 1;
  udp[0].kind = NETSTAT_HOST_UDPLITE;
  udp[0].state = st::kEstablished;
  udp[0].local[15] = 1;
  udp[0].remote[15] = 1;
  udp[0].local_port = 5353;
  udp[0].remote_port = 53;
  udp[0].rqueue = 768;
  udp[0].wqueue = 1;
  udp[0].uid = 1000;
  udp[0].inode = 77;
  udp[0].bound_if = 2;
  udp[1].ns = 0;
  udp[1].state = st::kClose;
  udp[1].local[0] = 127;
  udp[1].local[3] = 1;
  udp[1].local_port = 9999;
  udp[2].ns = 1;  // dropped while its namespace is incomplete
  HostRaw raw;
  raw.ns_count = 3;
  raw.ns = ns.data();
  raw.totals = totals.data();
  raw.port_counts = ports.get();
  raw.udp = udp.data();
  raw.udp_count = udp.size();
  auto out = DecodeHost(raw, {100, 200, 300}, rows);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[0].udp_complete);
  EXPECT_FALSE(out[1].udp_complete);
  EXPECT_FALSE(out[2].udp_complete);
  EXPECT_TRUE(out[1].udp.empty());
  ASSERT_EQ(out[0].udp.size(), 2u);
  const st::InetSocket& a = out[0].udp[0];
  EXPECT_EQ(a.protocol, st::Protocol::kUdpLite);
  EXPECT_EQ(a.family, st::Family::kIpv6);
  EXPECT_EQ(a.state, st::kEstablished);
  EXPECT_EQ(st::FormatAddress(a.family, a.local_address), "::1");
  EXPECT_EQ(st::FormatAddress(a.family, a.remote_address), "::1");
  EXPECT_EQ(a.local_port, 5353);
  EXPECT_EQ(a.remote_port, 53);
  EXPECT_EQ(a.receive_queue, 768u);
  EXPECT_EQ(a.send_queue, 1u);
  EXPECT_EQ(a.uid, 1000u);
  EXPECT_EQ(a.inode, 77u);
  EXPECT_EQ(a.bound_interface, 2u);
  const st::InetSocket& b = out[0].udp[1];
  EXPECT_EQ(b.protocol, st::Protocol::kUdp);
  EXPECT_EQ(b.family, st::Family::kIpv4);
  EXPECT_EQ(b.state, st::kClose);
  EXPECT_EQ(st::FormatAddress(b.family, b.local_address), "127.0.0.1");
  // Its own table walked to the end: complete; given up in a slot: not.
  ns[1].own_udp_walked = 1;
  out = DecodeHost(raw, {100, 200, 300}, rows);
  EXPECT_TRUE(out[1].udp_complete);
  EXPECT_EQ(out[1].udp.size(), 1u);
  ns[1].own_udp_incomplete = 1;
  out = DecodeHost(raw, {100, 200, 300}, rows);
  EXPECT_FALSE(out[1].udp_complete);
  // A UDP table not read completely: no namespace's UDP is.
  raw.udp_incomplete = true;
  out = DecodeHost(raw, {100, 200, 300}, rows);
  EXPECT_FALSE(out[0].udp_complete);
  EXPECT_TRUE(out[0].udp.empty());
}

// Raw records share the UDP ones' array; their completeness is their own.
TEST(HostWalkDecode, DecodesRawRecords) {
  HostRows rows;
  ASSERT_TRUE(PlanRows({{}, {}}, {}, &rows));
  std::vector<netstat_host_ns> ns(2);
  ns[0].found = 1;
  ns[1].found = 1;
  ns[1].own_udp = 1;  // its UDP incomplete: raw is another table
  std::vector<netstat_tcp_totals> totals(2);
  auto ports = std::make_unique<__u32[][kStates]>(rows.used);
  std::vector<netstat_host_udp> recs(3);
  recs[0].ns = 0;
  recs[0].kind = NETSTAT_HOST_UDP;
  recs[0].local_port = 53;
  recs[1].ns = 0;
  recs[1].kind = NETSTAT_HOST_RAW;
  recs[1].family = 1;
  recs[1].state = st::kClose;
  recs[1].local_port = 58;  // ICMPv6: the protocol, as /proc/net/raw6 shows it
  recs[1].rqueue = 576;
  recs[2].ns = 1;
  recs[2].kind = NETSTAT_HOST_RAW;
  recs[2].local_port = 1;
  HostRaw raw;
  raw.ns_count = 2;
  raw.ns = ns.data();
  raw.totals = totals.data();
  raw.port_counts = ports.get();
  raw.udp = recs.data();
  raw.udp_count = recs.size();
  auto out = DecodeHost(raw, {100, 200}, rows);
  EXPECT_FALSE(out[0].raw_complete);  // raw_incomplete is the default: not walked
  EXPECT_TRUE(out[0].raw.empty());
  raw.raw_incomplete = false;
  out = DecodeHost(raw, {100, 200}, rows);
  ASSERT_TRUE(out[0].raw_complete);
  ASSERT_EQ(out[0].udp.size(), 1u);
  ASSERT_EQ(out[0].raw.size(), 1u);
  EXPECT_EQ(out[0].raw[0].protocol, st::Protocol::kRaw);
  EXPECT_EQ(out[0].raw[0].family, st::Family::kIpv6);
  EXPECT_EQ(out[0].raw[0].local_port, 58);
  EXPECT_EQ(out[0].raw[0].receive_queue, 576u);
  EXPECT_FALSE(out[1].udp_complete);
  EXPECT_TRUE(out[1].raw_complete);
  EXPECT_EQ(out[1].raw.size(), 1u);
}

}  // namespace
}  // namespace netstat::tcp_iter
