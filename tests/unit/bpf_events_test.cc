// The real listener events program (root and kernel BTF; skipped where it cannot load),
// for what only the kernel side decides: which namespace's sockets it reports and counts.
#include "readers/listen_trace/bpf_events.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/kernel_sockets.h"

namespace netstat::listen_trace {
namespace {

// The sink's copies of the events, taken on the reader thread.
struct Seen {
  std::mutex mu;
  std::vector<netstat_listener_event> events;

  BpfEvents::Sink Sink() {
    return [this](const netstat_listener_event& e) {
      std::lock_guard lock(mu);
      events.push_back(e);
    };
  }
  std::vector<netstat_listener_event> Opened(uint64_t netns) {
    std::lock_guard lock(mu);
    std::vector<netstat_listener_event> out;
    for (const auto& e : events) {
      if (e.opened && e.netns == netns && e.tgid == static_cast<uint32_t>(getpid())) {
        out.push_back(e);
      }
    }
    return out;
  }
};

uint64_t NetnsOfThisThread() {
  struct stat st {};
  return stat("/proc/thread-self/ns/net", &st) == 0 ? st.st_ino : 0;
}

std::unique_ptr<BpfEvents> OpenOrSkip(Seen* seen, uint64_t only_netns, std::string* skip) {
  Availability why = CheckPrerequisites();
  if (!why.loaded) {
    *skip = why.reason;
    return nullptr;
  }
  auto events = BpfEvents::Open(seen->Sink(), only_netns, &why);
  if (!events) *skip = why.reason;
  return events;
}

// On 127.0.0.1: a listener on a port the kernel picks, and `n` connections it accepts.
uint16_t ListenAndAccept(int n) {
  const auto listener = netstat::testing::ListenOnLoopback(AF_INET, 16);
  EXPECT_GE(listener.fd, 0);
  for (int i = 0; i < n; ++i) {
    const auto [client, accepted] = netstat::testing::ConnectAndAccept(listener);
    EXPECT_GE(accepted, 0);
    close(accepted);
    close(client);
  }
  close(listener.fd);
  return listener.port;
}

// Another namespace's listen() and accepted connections (a thread of its own there) are
// neither reported nor counted when the program is limited to this one.
TEST(BpfEvents, OnlyTheChosenNamespaceIsReportedAndCounted) {
  Seen seen;
  std::string skip;
  const uint64_t own = NetnsOfThisThread();
  auto events = OpenOrSkip(&seen, own, &skip);
  if (!events) GTEST_SKIP() << "the listener events program cannot load here: " << skip;
  uint64_t other = 0;
  uint16_t other_port = 0;
  std::thread([&] {
    std::string error;
    ASSERT_TRUE(netstat::testing::EnterFreshNetns(&error)) << error;
    other = NetnsOfThisThread();
    other_port = ListenAndAccept(3);
  }).join();
  if (HasFatalFailure()) return;
  const uint16_t own_port = ListenAndAccept(2);
  events->Drain();
  EXPECT_TRUE(seen.Opened(other).empty());
  const auto opened = seen.Opened(own);
  EXPECT_TRUE(
      std::any_of(opened.begin(), opened.end(), [&](const auto& e) { return e.port == own_port; }));
  bool counted_own = false;
  for (const AcceptCount& c : events->AcceptCounts()) {
    EXPECT_NE(c.netns, other) << "port " << c.port;
    if (c.netns == own && c.port == own_port) {
      counted_own = true;
      EXPECT_EQ(c.count, 2u);
    }
  }
  EXPECT_TRUE(counted_own);
  EXPECT_NE(other_port, 0);
}

}  // namespace
}  // namespace netstat::listen_trace
