// Which namespaces the walk of the host finds without a unix socket (readers/tcp_iter,
// tcp_host.bpf.c's PHASE_NETS), against `ss -xa` inside each, on the real kernel (root
// and kernel BTF; skipped where the program cannot load).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "readers/tcp_iter/host_walk.h"
#include "tests/unit/bpf_expected.h"
#include "tests/unit/host_walk_namespace.h"

namespace netstat::tcp_iter {
namespace {

using netstat::testing::TestNamespace;

// The unix socket count `ss -xa` gives inside `ns`.
int UnixSocketsIn(const TestNamespace& ns) {
  const std::string name = ns.path().substr(ns.path().rfind('/') + 1);
  FILE* p = ::popen(("ip netns exec " + name + " ss -Hxa | wc -l").c_str(), "r");
  int n = -1;
  if (p != nullptr) {
    if (std::fscanf(p, "%d", &n) != 1) n = -1;
    ::pclose(p);
  }
  return n;
}

// The walk says a namespace's unix table is empty exactly when ss finds no unix socket
// in it: a namespace with a socket pair, one with none, and the first again once the
// pair is closed.
TEST(HostWalkKernel, SaysWhichNamespacesHaveNoUnixSocket) {
  std::string error;
  auto walk = HostWalk::Shared(&error);
  if (!walk) NETSTAT_SKIP_OR_FAIL_BPF("the BPF host walk: " + error);
  TestNamespace with(20, false), without(21, false);
  if (!with.ok() || !without.ok()) GTEST_SKIP() << "`ip netns add` failed";
  int pair[2] = {-1, -1};
  std::thread([&] {
    const int fd = ::open(with.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) return;
    ::close(fd);
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) pair[0] = pair[1] = -1;
  }).join();
  ASSERT_GE(pair[0], 0);
  ASSERT_EQ(UnixSocketsIn(with), 2);
  ASSERT_EQ(UnixSocketsIn(without), 0);
  // The walk's answer for each: unix_empty, by inode.
  auto walk_once = [&](bool* with_empty, bool* without_empty) {
    std::vector<HostNamespace> out;
    ASSERT_TRUE(walk->Walk({with.inode(), without.inode()}, {}, &out, &error)) << error;
    ASSERT_EQ(out.size(), 2u);
    for (const HostNamespace& ns : out) {
      *(ns.inode == with.inode() ? with_empty : without_empty) = ns.unix_empty;
    }
  };
  bool with_empty = true, without_empty = false;
  walk_once(&with_empty, &without_empty);
  EXPECT_FALSE(with_empty);
  EXPECT_TRUE(without_empty);
  ::close(pair[0]);
  ::close(pair[1]);
  ASSERT_EQ(UnixSocketsIn(with), 0);
  walk_once(&with_empty, &without_empty);
  EXPECT_TRUE(with_empty);
  EXPECT_TRUE(without_empty);
}

}  // namespace
}  // namespace netstat::tcp_iter
