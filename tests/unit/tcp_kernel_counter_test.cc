// The real BPF programs of sockets.source bpf|auto (root and kernel BTF; skipped where
// they cannot load): the iterator against a loopback connection, the hash walk against
// the iterator on known sockets in a fresh network namespace, and the walk while
// connections come and go.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "readers/socket_table/socket_table.h"
#include "readers/tcp_iter/tcp_iter_counter.h"
#include "tests/unit/bpf_expected.h"
#include "tests/unit/kernel_sockets.h"

namespace netstat::tcp_iter {
namespace {

namespace st = socket_table;

// The real program, where it loads (root, BTF): a loopback connection in this namespace,
// counted on both ends, with the bytes the server has not read.
TEST(TcpIterCounter, CountsALoopbackConnection) {
  std::string error;
  auto counter = TcpIterCounter::Shared(&error);
  if (!counter) NETSTAT_SKIP_OR_FAIL_BPF("the BPF iterator: " + error);
  const auto server = netstat::testing::ListenOnLoopback(AF_INET, 4);
  ASSERT_GE(server.fd, 0);
  const uint16_t port = server.port;
  TcpCounts before;
  ASSERT_TRUE(counter->Count({port}, {port}, &before, &error)) << error;
  const auto [client, accepted] = netstat::testing::ConnectAndAccept(server);
  ASSERT_GE(accepted, 0);
  ASSERT_EQ(write(client, "0123456789", 10), 10);
  usleep(20000);
  TcpCounts after;
  ASSERT_TRUE(counter->Count({port}, {port}, &after, &error)) << error;
  const auto& v4 = after.family[0];
  EXPECT_GE(v4.sockets[st::kEstablished], before.family[0].sockets[st::kEstablished] + 2);
  EXPECT_GE(v4.receive_queue[st::kEstablished],
            before.family[0].receive_queue[st::kEstablished] + 10);
  ASSERT_EQ(after.local_ports.size(), 1u);
  EXPECT_EQ(after.local_ports[0].sockets[st::kEstablished], 1u);  // the accepted end
  ASSERT_EQ(after.remote_ports.size(), 1u);
  EXPECT_EQ(after.remote_ports[0].sockets[st::kEstablished], 1u);  // the client end
  // Each end has its smoothed RTT from the handshake.
  EXPECT_EQ(after.local_ports[0].rtt.sockets, 1u);
  EXPECT_EQ(after.remote_ports[0].rtt.sockets, 1u);
  EXPECT_GT(after.local_ports[0].rtt.max_us, 0u);
  EXPECT_EQ(after.local_ports[0].rtt.sum_us, after.local_ports[0].rtt.max_us);
  EXPECT_EQ(v4.sockets[st::kListen], 0u);  // listeners are left to netlink
  close(client);
  close(accepted);
  close(server.fd);
}

// The tests of the hash walk: skipped where it, or the iterator it is compared with,
// cannot load.
class HashWalk : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    counter = TcpIterCounter::Shared(&error);
    if (!counter) NETSTAT_SKIP_OR_FAIL_BPF("the BPF iterator: " + error);
    if (!counter->has_walk()) GTEST_SKIP() << "the BPF hash walk does not load on this kernel";
  }
  std::shared_ptr<TcpIterCounter> counter;
};

// A fresh namespace whose loopback is up, for this thread only.
void EnterFreshNamespace() {
  std::string error;
  ASSERT_TRUE(netstat::testing::EnterFreshNetns(&error)) << error;
}

// Known sockets in a fresh network namespace (this test's thread only) and the two
// programs, the hash walk and the iterator, field by field: the walk reads kernel
// structures without the iterator's locks, so this is what says it reads them right.
using netstat::testing::ConnectAndAccept;
using netstat::testing::ListenOnLoopback;

void CountKnownSockets(TcpIterCounter* counter, TcpCounts* walk, TcpCounts* iterated,
                       std::vector<uint16_t>* ports) {
  EnterFreshNamespace();
  if (::testing::Test::HasFatalFailure()) return;
  const auto v4 = ListenOnLoopback(AF_INET), v6 = ListenOnLoopback(AF_INET6);
  ASSERT_GE(v4.fd, 0);
  ASSERT_GE(v6.fd, 0);
  std::vector<int> open;
  for (int i = 0; i < 5; ++i) {  // established, 10 unread bytes at each accepted end
    auto [client, accepted] = ConnectAndAccept(v4);
    ASSERT_EQ(write(client, "0123456789", 10), 10);
    open.insert(open.end(), {client, accepted});
  }
  for (int i = 0; i < 3; ++i) {  // the client closes: fin_wait2 and close_wait
    auto [client, accepted] = ConnectAndAccept(v6);
    close(client);
    open.push_back(accepted);
  }
  for (int i = 0; i < 2; ++i) {  // the server closes first: time_wait at the server
    auto [client, accepted] = ConnectAndAccept(v4);
    close(accepted);
    usleep(10000);
    close(client);
  }
  usleep(50000);
  *ports = {v4.port, v6.port};
  std::string error;
  counter->force_iterator(false);
  ASSERT_TRUE(counter->Count(*ports, *ports, walk, &error)) << error;
  counter->force_iterator(true);
  ASSERT_TRUE(counter->Count(*ports, *ports, iterated, &error)) << error;
  counter->force_iterator(false);
  for (int s : open) close(s);
  close(v4.fd);
  close(v6.fd);
}

TEST_F(HashWalk, CountsWhatTheIteratorCounts) {
  TcpCounts walk, iterated;
  std::vector<uint16_t> ports;
  std::thread(CountKnownSockets, counter.get(), &walk, &iterated, &ports).join();
  if (HasFatalFailure()) return;
  const auto& v4 = walk.family[0];
  const auto& v6 = walk.family[1];
  EXPECT_EQ(v4.sockets[st::kEstablished], 10u);
  EXPECT_EQ(v4.receive_queue[st::kEstablished], 50u);
  EXPECT_EQ(v4.sockets[st::kTimeWait], 2u);
  EXPECT_EQ(v6.sockets[st::kCloseWait], 3u);
  EXPECT_EQ(v6.sockets[st::kFinWait2], 3u);
  EXPECT_EQ(v4.sockets[st::kListen] + v6.sockets[st::kListen], 0u);
  ASSERT_EQ(walk.local_ports.size(), 2u);
  ASSERT_EQ(walk.remote_ports.size(), 2u);
  for (size_t f = 0; f < 2; ++f) {
    EXPECT_EQ(walk.family[f].sockets, iterated.family[f].sockets) << "family " << f;
    EXPECT_EQ(walk.family[f].receive_queue, iterated.family[f].receive_queue) << "family " << f;
    EXPECT_EQ(walk.family[f].send_queue, iterated.family[f].send_queue) << "family " << f;
  }
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(walk.local_ports[i].port, iterated.local_ports[i].port);
    EXPECT_EQ(walk.local_ports[i].sockets, iterated.local_ports[i].sockets) << i;
    EXPECT_EQ(walk.remote_ports[i].sockets, iterated.remote_ports[i].sockets) << i;
    // Idle connections: their smoothed RTTs stand still between the two runs.
    EXPECT_EQ(walk.local_ports[i].rtt.sum_us, iterated.local_ports[i].rtt.sum_us) << i;
    EXPECT_EQ(walk.local_ports[i].rtt.max_us, iterated.local_ports[i].rtt.max_us) << i;
    EXPECT_EQ(walk.remote_ports[i].rtt.sum_us, iterated.remote_ports[i].rtt.sum_us) << i;
  }
  // By port: the v4 server's accepted ends (5 established, 2 in time_wait) and clients.
  const size_t v4_index = walk.local_ports[0].port == ports[0] ? 0 : 1;
  EXPECT_EQ(walk.local_ports[v4_index].sockets[st::kEstablished], 5u);
  EXPECT_EQ(walk.local_ports[v4_index].sockets[st::kTimeWait], 2u);
  EXPECT_EQ(walk.local_ports[v4_index].rtt.sockets, 5u);  // established ones only
  EXPECT_EQ(walk.remote_ports[v4_index].rtt.sockets, 5u);
  EXPECT_EQ(walk.local_ports[1 - v4_index].rtt.sockets, 0u);  // close_wait has none counted
  EXPECT_EQ(walk.remote_ports[v4_index].sockets[st::kEstablished], 5u);
  EXPECT_EQ(walk.local_ports[1 - v4_index].sockets[st::kCloseWait], 3u);
  EXPECT_EQ(walk.remote_ports[1 - v4_index].sockets[st::kFinWait2], 3u);
}

// 200 walks while another thread of the namespace opens and closes connections to a
// second listener: every walk answers (complete, or redone by the iterator), and counts
// the 100 stable connections on the first listener's port exactly, both ends, however
// the churn moves the hash around them.
struct ChurnResult {
  std::vector<uint64_t> local, remote, established;
  std::string error;
};

void WalkWhileChurning(TcpIterCounter* counter, ChurnResult* result) {
  EnterFreshNamespace();
  if (::testing::Test::HasFatalFailure()) return;
  const auto stable_ep = ListenOnLoopback(AF_INET), churn_ep = ListenOnLoopback(AF_INET);
  ASSERT_GE(stable_ep.fd, 0);
  ASSERT_GE(churn_ep.fd, 0);
  std::vector<int> stable;
  for (int i = 0; i < 100; ++i) {
    auto [client, accepted] = ConnectAndAccept(stable_ep);
    stable.insert(stable.end(), {client, accepted});
  }
  std::atomic<bool> stop{false};
  std::thread churn([&] {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!stop && std::chrono::steady_clock::now() < end) {  // bounded in time too
      std::vector<int> open;
      for (int i = 0; i < 8; ++i) {
        auto [client, accepted] = ConnectAndAccept(churn_ep);
        open.insert(open.end(), {client, accepted});
      }
      for (int s : open) close(s);
    }
  });
  for (int i = 0; i < 200; ++i) {
    TcpCounts counts;
    if (!counter->Count({stable_ep.port}, {stable_ep.port}, &counts, &result->error)) break;
    result->local.push_back(counts.local_ports.at(0).sockets[st::kEstablished]);
    result->remote.push_back(counts.remote_ports.at(0).sockets[st::kEstablished]);
    result->established.push_back(counts.family[0].sockets[st::kEstablished]);
  }
  stop = true;
  churn.join();
  for (int s : stable) close(s);
  close(stable_ep.fd);
  close(churn_ep.fd);
}

TEST_F(HashWalk, AnswersWhileConnectionsComeAndGo) {
  ChurnResult result;
  std::thread(WalkWhileChurning, counter.get(), &result).join();
  if (HasFatalFailure()) return;
  ASSERT_EQ(result.local.size(), 200u) << result.error;
  for (size_t i = 0; i < result.local.size(); ++i) {
    EXPECT_EQ(result.local[i], 100u) << "walk " << i;   // the accepted ends
    EXPECT_EQ(result.remote[i], 100u) << "walk " << i;  // the clients
    EXPECT_GE(result.established[i], 200u) << "walk " << i;
  }
}

}  // namespace
}  // namespace netstat::tcp_iter
