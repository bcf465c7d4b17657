// The real tcp_health program (root and kernel BTF; skipped where it cannot load), in a
// network namespace of the test's own so that only its connections count: a clean
// connection is keyed on both sides with its connect time, lifetime, RTT and bytes; a
// connect to a closed port is a refused connect and a reset each way.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "readers/tcp_health/tcp_health_trace.h"
#include "tests/unit/kernel_sockets.h"

namespace netstat::tcp_health {
namespace {

uint64_t Count(const netstat_th_histogram& h) {
  return std::accumulate(std::begin(h.buckets), std::end(h.buckets), uint64_t{0});
}

std::optional<netstat_th_value> Find(const TcpHealthTrace& trace, uint64_t netns, uint16_t port,
                                     uint8_t side) {
  for (const PortHealth& h : trace.Read()) {
    if (h.key.netns == netns && h.key.port == port && h.key.side == side) return h.value;
  }
  return std::nullopt;
}

// Waits (up to 3 s) until `done` holds: the closing handshakes run in softirq after close().
template <typename Done>
bool WaitFor(Done&& done) {
  for (int i = 0; i < 300; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Moves this thread into a fresh network namespace (*netns: its inode) and loads the
// programs for it; skips (trace left null) only for a missing prerequisite: a verifier's
// refusal reads as EACCES too, and must fail.
void LoadInFreshNetns(uint64_t* netns, std::unique_ptr<TcpHealthTrace>* trace) {
  std::string error;
  if (!testing::EnterFreshNetns(&error)) GTEST_SKIP() << error;
  struct stat ns {};
  ASSERT_EQ(stat("/proc/thread-self/ns/net", &ns), 0);
  *netns = ns.st_ino;
  Availability why;
  *trace = TcpHealthTrace::Open(*netns, 100, &why);
  if (!*trace && !listen_trace::CheckPrerequisites().loaded) GTEST_SKIP() << why.reason;
  ASSERT_TRUE(*trace) << why.reason << " (the verifier's log: --log.level=debug)";
}

TEST(TcpHealthKernel, ConnectionsAreKeyedByServicePort) {
  std::thread([] {
    uint64_t netns = 0;
    std::unique_ptr<TcpHealthTrace> trace;
    ASSERT_NO_FATAL_FAILURE(LoadInFreshNetns(&netns, &trace));
    if (!trace) return;  // skipped

    const testing::LoopbackListener l = testing::ListenOnLoopback(AF_INET);
    ASSERT_GE(l.fd, 0);
    trace->SetRemotePorts({l.port});
    auto [client, server] = testing::ConnectAndAccept(l);
    ASSERT_GE(client, 0);
    ASSERT_GE(server, 0);
    const std::string data(1000, 'x');
    ASSERT_EQ(send(client, data.data(), data.size(), 0), 1000);
    char buf[2000];
    size_t got = 0;
    while (got < data.size()) {
      const ssize_t n = recv(server, buf, sizeof buf, 0);
      ASSERT_GT(n, 0);
      got += static_cast<size_t>(n);
    }
    close(client);
    close(server);
    ASSERT_TRUE(WaitFor([&] {
      auto s = Find(*trace, netns, l.port, NETSTAT_TH_SERVER);
      auto c = Find(*trace, netns, l.port, NETSTAT_TH_CLIENT);
      return s && c && Count(s->duration) == 1 && Count(c->duration) == 1;
    }));
    const netstat_th_value s = *Find(*trace, netns, l.port, NETSTAT_TH_SERVER);
    const netstat_th_value c = *Find(*trace, netns, l.port, NETSTAT_TH_CLIENT);
    EXPECT_EQ(Count(c.connect), 1u);
    EXPECT_EQ(Count(s.connect), 0u);  // the server side has no connect
    EXPECT_EQ(Count(s.rtt), 1u);
    EXPECT_EQ(Count(c.rtt), 1u);
    EXPECT_GE(s.received_bytes, 1000u);
    EXPECT_GE(c.sent_bytes, 1000u);
    EXPECT_EQ(s.retransmits + c.retransmits, 0u);
    EXPECT_EQ(c.failed_refused + c.failed_timed_out + c.failed_other, 0u);
    // Loopback: the connect and the RTT are well under the first bounds (1 ms, 0.1 ms).
    EXPECT_EQ(c.connect.buckets[0], 1u);

    // Nothing listens on the listener's port + 1 (not configured): "other" on both sides.
    close(l.fd);
    const int refused = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in to = *reinterpret_cast<const sockaddr_in*>(&l.address);
    to.sin_port = htons(static_cast<uint16_t>(l.port + 1));
    EXPECT_NE(connect(refused, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
    EXPECT_EQ(errno, ECONNREFUSED);
    close(refused);
    const auto other = Find(*trace, netns, NETSTAT_TH_OTHER_PORT, NETSTAT_TH_CLIENT);
    ASSERT_TRUE(other);
    EXPECT_EQ(other->failed_refused, 1u);
    EXPECT_EQ(other->resets_received, 1u);
    const auto closed_port = Find(*trace, netns, NETSTAT_TH_OTHER_PORT, NETSTAT_TH_SERVER);
    ASSERT_TRUE(closed_port);
    EXPECT_EQ(closed_port->resets_sent, 1u);
    EXPECT_EQ(trace->Dropped(), 0u);
  }).join();
}

// A UDP socket that never reads, with the smallest receive buffer, flooded from another:
// its drops are counted on its port, and they are the namespace's Udp RcvbufErrors.
TEST(TcpHealthKernel, UdpReceiveBufferDropsByPort) {
  std::thread([] {
    uint64_t netns = 0;
    std::unique_ptr<TcpHealthTrace> trace;
    ASSERT_NO_FATAL_FAILURE(LoadInFreshNetns(&netns, &trace));
    if (!trace) return;  // skipped

    const int quiet = socket(AF_INET, SOCK_DGRAM, 0);
    const int size = 1;  // the kernel's minimum: a datagram or two
    ASSERT_EQ(setsockopt(quiet, SOL_SOCKET, SO_RCVBUF, &size, sizeof size), 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(quiet, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ASSERT_EQ(getsockname(quiet, reinterpret_cast<sockaddr*>(&a), &len), 0);
    const int sender = socket(AF_INET, SOCK_DGRAM, 0);
    const std::string datagram(1000, 'u');
    for (int i = 0; i < 200; ++i) {
      ASSERT_EQ(sendto(sender, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&a),
                       sizeof a),
                1000);
    }
    uint64_t dropped = 0;
    for (const UdpDrops& d : trace->ReadUdpDrops()) {
      if (d.netns == netns && d.port == ntohs(a.sin_port)) dropped = d.datagrams;
    }
    EXPECT_GT(dropped, 100u);
    // The namespace's own counter: Udp RcvbufErrors in /proc/net/snmp (this thread's).
    std::ifstream snmp("/proc/thread-self/net/snmp");
    std::string line, header;
    uint64_t rcvbuf_errors = 0;
    while (std::getline(snmp, line)) {
      if (line.rfind("Udp: ", 0) != 0) continue;
      if (header.empty()) {
        header = line;
        continue;
      }
      std::istringstream names(header), values(line);
      std::string name, value;
      while (names >> name && values >> value) {
        if (name == "RcvbufErrors") rcvbuf_errors = std::stoull(value);
      }
    }
    EXPECT_EQ(dropped, rcvbuf_errors);
    // The same drops with the kernel's reason, on the same port; a datagram to a port
    // nobody bound is no_socket, on port "other".
    ASSERT_EQ(sendto(sender, datagram.data(), 10, 0, reinterpret_cast<sockaddr*>(&a), sizeof a),
              10);  // one more for the full buffer
    sockaddr_in closed = a;
    closed.sin_port = htons(static_cast<uint16_t>(ntohs(a.sin_port) + 1));
    ASSERT_EQ(
        sendto(sender, datagram.data(), 10, 0, reinterpret_cast<sockaddr*>(&closed), sizeof closed),
        10);
    uint64_t rcvbuff = 0, no_socket = 0;
    for (const PortDrops& d : trace->ReadDrops()) {
      if (d.netns != netns || d.protocol != IPPROTO_UDP) continue;
      if (d.port == ntohs(a.sin_port) && d.reason == "socket_rcvbuff") rcvbuff = d.packets;
      if (d.port == NETSTAT_TH_OTHER_PORT && d.reason == "no_socket") no_socket = d.packets;
    }
    EXPECT_EQ(rcvbuff, dropped + 1);
    EXPECT_EQ(no_socket, 1u);
    close(sender);
    close(quiet);
  }).join();
}

}  // namespace
}  // namespace netstat::tcp_health
