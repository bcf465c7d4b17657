// A socket table adopted from another network namespace: a thread unshares a fresh
// namespace and opens a TCP listener and a sock_diag socket there; the table built on
// that socket must see the namespace's listener and not the host's, and the host's
// table the reverse. Needs CAP_SYS_ADMIN (skipped without).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <set>
#include <string>
#include <thread>

#include "readers/socket_table/netlink_socket_table.h"
#include "readers/socket_table/procfs_socket_table.h"

namespace netstat::socket_table {
namespace {

// A TCP listener on 0.0.0.0 (lo is down in a new namespace; the wildcard still binds).
// Returns the fd and sets *port, or -1.
int Listen(uint16_t* port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  socklen_t length = sizeof address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(fd, 8) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(address.sin_port);
  return fd;
}

std::set<uint16_t> ListeningPorts(SocketTable& table) {
  std::set<uint16_t> ports;
  DumpResult r = table.DumpInet(Protocol::kTcp, Family::kIpv4, StateBit(kListen),
                                [&](const InetSocket& s) { ports.insert(s.local_port); });
  EXPECT_TRUE(r.ok) << r.error;
  return ports;
}

// What the namespace thread made: its id (for its /proc/<pid>/task/<tid>), a listener
// and a sock_diag socket inside, or why it could not.
struct Namespace {
  pid_t tid = 0;
  int listener = -1;
  int sock_diag = -1;
  uint16_t port = 0;
  std::string error;
};

TEST(NetlinkSocketTableAdopt, SeesTheNamespaceItWasCreatedIn) {
  uint16_t host_port = 0;
  const int host_listener = Listen(&host_port);
  ASSERT_GE(host_listener, 0) << std::strerror(errno);

  std::promise<Namespace> made;
  std::promise<void> finished;
  std::thread thread([&] {
    Namespace ns;
    ns.tid = static_cast<pid_t>(syscall(SYS_gettid));
    if (unshare(CLONE_NEWNET) != 0) {
      ns.error = std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
    } else {
      ns.listener = Listen(&ns.port);
      ns.sock_diag = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    }
    made.set_value(ns);
    finished.get_future().wait();  // keeps /proc/<pid>/task/<tid>/net for the fallback
  });
  Namespace ns = made.get_future().get();
  struct Cleanup {
    std::thread& thread;
    std::promise<void>& finished;
    int fds[2];
    ~Cleanup() {
      finished.set_value();
      thread.join();
      for (int fd : fds) {
        if (fd >= 0) close(fd);
      }
    }
  } cleanup{thread, finished, {host_listener, ns.listener}};
  if (!ns.error.empty()) GTEST_SKIP() << ns.error;
  ASSERT_GE(ns.listener, 0);
  ASSERT_GE(ns.sock_diag, 0);

  const procfs::Root ns_root(
      "/proc/" + std::to_string(getpid()) + "/task/" + std::to_string(ns.tid), "");
  std::string error;
  auto adopted = NetlinkSocketTable::Adopt(ns.sock_diag, ns_root, &error);
  ASSERT_TRUE(adopted) << error;
  auto host = NetlinkSocketTable::Open(procfs::Root("/proc", "/sys"), &error);
  ASSERT_TRUE(host) << error;

  for (int round = 0; round < 2; ++round) {  // the adopted socket serves dump after dump
    const std::set<uint16_t> inside = ListeningPorts(*adopted);
    EXPECT_EQ(inside, std::set<uint16_t>{ns.port});
    EXPECT_FALSE(inside.count(host_port));
    DumpResult unix_dump = adopted->DumpUnix([](const UnixSocket&) {});
    EXPECT_TRUE(unix_dump.ok) << unix_dump.error;
  }
  const std::set<uint16_t> outside = ListeningPorts(*host);
  EXPECT_TRUE(outside.count(host_port));

  // The fallback root given with it describes the same namespace.
  ProcfsSocketTable fallback(ns_root);
  EXPECT_EQ(ListeningPorts(fallback), std::set<uint16_t>{ns.port});
}

TEST(NetlinkSocketTableAdopt, RefusesAnotherNetlinkProtocol) {
  const int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  ASSERT_GE(fd, 0);
  std::string error;
  EXPECT_FALSE(NetlinkSocketTable::Adopt(fd, procfs::Root("/proc", ""), &error));
  EXPECT_EQ(error,
            "netlink sock_diag adopt: a netlink socket of protocol 0, not NETLINK_SOCK_DIAG");
  EXPECT_EQ(close(fd), -1) << "the refused fd was not closed";
}

}  // namespace
}  // namespace netstat::socket_table
