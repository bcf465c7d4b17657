// The socket table behind both sources: interrupted dumps retried, the live kernel seen
// alike by netlink and /proc, the choice of source, and the label names.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "readers/socket_table/netlink_socket_table.h"
#include "readers/socket_table/procfs_socket_table.h"
#include "readers/socket_table/socket_table.h"
#include "tests/unit/fixture_util.h"

namespace netstat::socket_table {
namespace {

using netstat::testing::FixturePath;

// A table whose first dumps come back interrupted (NLM_F_DUMP_INTR) after visiting
// part of the sockets.
class InterruptingTable : public SocketTable {
 public:
  explicit InterruptingTable(int interruptions) : interruptions_(interruptions) {}
  Source source() const override { return Source::kNetlink; }
  DumpResult DumpInet(Protocol, Family, uint32_t,
                      const std::function<void(const InetSocket&)>& visit) override {
    ++calls;
    InetSocket s{};
    visit(s);
    DumpResult r;
    if (interruptions_-- > 0) {
      r.interrupted = true;
      return r;
    }
    visit(s);
    return r;
  }
  DumpResult DumpUnix(const std::function<void(const UnixSocket&)>&) override { return {}; }
  int calls = 0;

 private:
  int interruptions_;
};

TEST(DumpInetConsistent, RetriesInterruptedDumps) {
  InterruptingTable table(2);
  int seen = 0, restarts = 0;
  DumpResult r = DumpInetConsistent(
      table, Protocol::kTcp, Family::kIpv4, kAllStates, [&] { ++restarts, seen = 0; },
      [&](const InetSocket&) { ++seen; });
  EXPECT_FALSE(r.interrupted);
  EXPECT_EQ(table.calls, 3);
  EXPECT_EQ(restarts, 2);
  EXPECT_EQ(seen, 2);  // only the clean attempt's sockets
}

TEST(DumpInetConsistent, GivesUpAfterThreeAttempts) {
  InterruptingTable table(10);
  int restarts = 0;
  DumpResult r = DumpInetConsistent(
      table, Protocol::kTcp, Family::kIpv4, kAllStates, [&] { ++restarts; },
      [](const InetSocket&) {});
  EXPECT_TRUE(r.ok);
  EXPECT_TRUE(r.interrupted);  // reported, the caller decides
  EXPECT_EQ(table.calls, kMaxDumpAttempts);
  EXPECT_EQ(restarts, kMaxDumpAttempts - 1);
}

// The live kernel, both tables: a listener this test opens is seen by both, with the
// same port, address and inode.
TEST(LiveTables, NetlinkAndProcfsSeeOurListener) {
  std::string error;
  procfs::Root live("/proc", "/sys");
  auto netlink = NetlinkSocketTable::Open(live, &error);
  if (!netlink) GTEST_SKIP() << error;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(fd, 7), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const uint16_t port = ntohs(a.sin_port);

  auto find = [&](SocketTable& table) {
    InetSocket found{};
    int n = 0;
    DumpResult r =
        table.DumpInet(Protocol::kTcp, Family::kIpv4, StateBit(kListen), [&](const InetSocket& s) {
          EXPECT_EQ(s.state, kListen);
          if (s.local_port == port) found = s, ++n;
        });
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_EQ(n, 1);
    return found;
  };
  ProcfsSocketTable procfs(live);
  for (int round = 0; round < 2; ++round) {  // the netlink socket is reused
    InetSocket n = find(*netlink);
    EXPECT_EQ(FormatAddress(Family::kIpv4, n.local_address), "127.0.0.1");
    EXPECT_EQ(n.send_queue, 7u);  // netlink: the backlog
    EXPECT_EQ(n.inode, find(procfs).inode);
  }
  int unix_sockets = 0;
  EXPECT_TRUE(netlink->DumpUnix([&](const UnixSocket&) { ++unix_sockets; }).ok);
  close(fd);
}

// A raw socket of ours is found by the netlink table on every dump, whether sock_diag has
// raw_diag or not; without it, the first "no handler" answer is remembered and later
// dumps go to procfs without asking.
TEST(LiveTables, RawSocketsWithOrWithoutRawDiag) {
  std::string error;
  auto netlink = NetlinkSocketTable::Open(procfs::Root("/proc", "/sys"), &error);
  if (!netlink) GTEST_SKIP() << error;
  const int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  if (fd < 0) GTEST_SKIP() << "no raw socket (needs CAP_NET_RAW)";
  struct stat st {};
  ASSERT_EQ(fstat(fd, &st), 0);
  for (int round = 0; round < 3; ++round) {
    int found = 0;
    const DumpResult r =
        netlink->DumpInet(Protocol::kRaw, Family::kIpv4, kAllStates, [&](const InetSocket& s) {
          if (s.inode == st.st_ino) ++found;
        });
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_EQ(found, 1) << "round " << round;
    if (round == 0) {
      std::printf("raw_diag %s\n", SockDiagKnownUnsupported(Protocol::kRaw, Family::kIpv4)
                                       ? "missing: procfs from now on"
                                       : "present");
    }
  }
  close(fd);
}

// Netlink for a real procfs of our own netns, wherever it is mounted; procfs for a tree
// that only looks like one.
TEST(OpenSocketTable, ChoosesTheSource) {
  auto open = [](const procfs::Root& root) {
    return OpenSocketTable(root, procfs::InspectSite(root).live_network);
  };
  EXPECT_EQ(open(procfs::Root("/proc", "/sys"))->source(), Source::kNetlink);
  EXPECT_EQ(open(procfs::Root(FixturePath("proc"), ""))->source(), Source::kProcfs);
  char dir[] = "/tmp/socket_table_rootXXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string whole = std::string(dir) + "/whole", net_only = std::string(dir) + "/net_only";
  ASSERT_EQ(symlink("/proc", whole.c_str()), 0);
  ASSERT_EQ(mkdir(net_only.c_str(), 0755), 0);
  ASSERT_EQ(symlink("/proc/net", (net_only + "/net").c_str()), 0);
  EXPECT_EQ(open(procfs::Root(whole, ""))->source(), Source::kNetlink);
  EXPECT_EQ(open(procfs::Root(net_only, ""))->source(), Source::kProcfs);
  EXPECT_EQ(procfs::InspectSite(procfs::Root(whole, "")).self_pid, getpid());
  EXPECT_EQ(procfs::InspectSite(procfs::Root(net_only, "")).self_pid, 0);
  std::system((std::string("rm -rf ") + dir).c_str());
}

TEST(Names, LabelValues) {
  EXPECT_STREQ(ProtocolName(Protocol::kUdpLite), "udplite");
  EXPECT_STREQ(FamilyName(Family::kIpv6), "ipv6");
  EXPECT_STREQ(StateName(Protocol::kTcp, kCloseWait), "close_wait");
  EXPECT_STREQ(StateName(Protocol::kTcp, kNewSynRecv), "new_syn_recv");
  EXPECT_EQ(StateName(Protocol::kTcp, 0), nullptr);
  EXPECT_EQ(StateName(Protocol::kTcp, 13), nullptr);
  EXPECT_STREQ(StateName(Protocol::kUdp, kClose), "unconnected");
  EXPECT_STREQ(StateName(Protocol::kRaw, kEstablished), "established");
  EXPECT_EQ(StateName(Protocol::kUdp, kListen), nullptr);
  EXPECT_STREQ(StateName(Protocol::kUnix, kEstablished), "connected");
  EXPECT_STREQ(SourceName(Source::kProcfs), "procfs");
}

}  // namespace
}  // namespace netstat::socket_table
