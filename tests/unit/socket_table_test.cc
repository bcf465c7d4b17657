// The procfs side of the socket table: line parsers on fixture lines and malformed
// input, and the chunked table reader over the fixture tree.
#include "readers/socket_table/socket_table.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "readers/socket_table/netlink_socket_table.h"
#include "readers/socket_table/proc_net_parser.h"
#include "readers/socket_table/procfs_socket_table.h"
#include "tests/unit/fixture_util.h"

namespace netstat::socket_table {
namespace {

using netstat::testing::FixturePath;

std::vector<InetSocket> DumpFixture(Protocol p, Family f, uint32_t states = kAllStates) {
  ProcfsSocketTable table(procfs::Root(FixturePath("proc"), FixturePath("sys")));
  std::vector<InetSocket> out;
  DumpResult r = table.DumpInet(p, f, states, [&](const InetSocket& s) { out.push_back(s); });
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.supported);
  return out;
}

TEST(ParseInetLine, Ipv4Listener) {
  InetSocket s;
  ASSERT_TRUE(ParseInetLine(
      "   2: 0100007F:1538 00000000:0000 0A 00000000:00000003 00:00000000 00000000   105  "
      "      0 20030 1 0000000000000000 100 0 0 10 0",
      Protocol::kTcp, Family::kIpv4, &s));
  EXPECT_EQ(s.state, kListen);
  EXPECT_EQ(s.local_port, 5432);
  EXPECT_EQ(FormatAddress(Family::kIpv4, s.local_address), "127.0.0.1");
  EXPECT_EQ(FormatAddress(Family::kIpv4, s.remote_address), "0.0.0.0");
  EXPECT_EQ(s.receive_queue, 3u);
  EXPECT_EQ(s.send_queue, 0u);
  EXPECT_EQ(s.uid, 105u);
  EXPECT_EQ(s.inode, 20030u);
}

TEST(ParseInetLine, Ipv6MappedAddress) {
  InetSocket s;
  ASSERT_TRUE(ParseInetLine(
      "   3: 0000000000000000FFFF00000A0200C0:0050 0000000000000000FFFF0000320200C0:A029 01 "
      "000005A8:00000000 00:00000000 00000000    33        0 20202 1 0000000000000000 100 0 0 "
      "10 0",
      Protocol::kTcp, Family::kIpv6, &s));
  EXPECT_EQ(FormatAddress(Family::kIpv6, s.local_address), "::ffff:192.0.2.10");
  EXPECT_EQ(FormatAddress(Family::kIpv6, s.remote_address), "::ffff:192.0.2.50");
  EXPECT_EQ(s.remote_port, 41001);
  EXPECT_EQ(s.send_queue, 1448u);
}

TEST(ParseInetLine, RejectsHeaderAndGarbage) {
  InetSocket s;
  const char* bad[] = {
      "",
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid",
      "   0: 0100007F:0016",                                     // truncated
      "   0: 0100007F:0016 00000000:0000 0A 00000000:00000000",  // no uid/inode
      "   0: 0100007G:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1",
      "   0: 0100007F:00160 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1",
      "   x: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1",
      "   0: 0100007F:0016 00000000:0000 0A0 00000000:00000000 00:00000000 00000000 0 0 1",
      "   0: 0100007F:0016 00000000:0000 0A 00000000-00000000 00:00000000 00000000 0 0 1",
      "   0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 -1 0 1",
  };
  for (const char* line : bad)
    EXPECT_FALSE(ParseInetLine(line, Protocol::kTcp, Family::kIpv4, &s)) << line;
  // An IPv4 line is not an IPv6 line.
  EXPECT_FALSE(ParseInetLine(
      "   0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1",
      Protocol::kTcp, Family::kIpv6, &s));
}

TEST(ParseUnixLine, States) {
  UnixSocket s;
  ASSERT_TRUE(ParseUnixLine(
      "0000000000000000: 00000002 00000000 00010000 0001 01 20070 /run/systemd/private", &s));
  EXPECT_EQ(s.type, SOCK_STREAM);
  EXPECT_EQ(s.state, kListen);
  EXPECT_EQ(s.inode, 20070u);
  ASSERT_TRUE(ParseUnixLine("0000000000000000: 00000003 00000000 00000000 0001 03 20071", &s));
  EXPECT_EQ(s.state, kEstablished);
  ASSERT_TRUE(ParseUnixLine("0000000000000000: 00000003 00000000 00000000 0001 02 20077", &s));
  EXPECT_EQ(s.state, kEstablished);  // an embryo: connected, not yet accepted
  ASSERT_TRUE(ParseUnixLine("ffff8e0c1a2b3c00: 00000002 00000000 00000000 0002 01 20073 @x", &s));
  EXPECT_EQ(s.type, SOCK_DGRAM);
  EXPECT_EQ(s.state, kClose);
  EXPECT_FALSE(ParseUnixLine("Num       RefCount Protocol Flags    Type St Inode Path", &s));
  EXPECT_FALSE(ParseUnixLine("0000000000000000: 00000002 00000000 00010000 0001", &s));
  EXPECT_FALSE(ParseUnixLine("0000000000000000: 00000002 00000000 00010000 0001 01 x1", &s));
  EXPECT_FALSE(ParseUnixLine("", &s));
}

TEST(ProcfsSocketTable, ReadsFixtureTcp) {
  std::vector<InetSocket> v4 = DumpFixture(Protocol::kTcp, Family::kIpv4);
  ASSERT_EQ(v4.size(), 12u);
  EXPECT_EQ(v4[0].local_port, 22);
  EXPECT_EQ(v4[0].inode, 20001u);
  EXPECT_EQ(v4[1].uid, 992u);
  EXPECT_EQ(FormatAddress(Family::kIpv4, v4[1].local_address), "127.0.0.53");
  EXPECT_EQ(v4[7].state, kTimeWait);
  EXPECT_EQ(v4[7].inode, 0u);
  EXPECT_EQ(DumpFixture(Protocol::kTcp, Family::kIpv4, StateBit(kListen)).size(), 3u);
  std::vector<InetSocket> v6 = DumpFixture(Protocol::kTcp, Family::kIpv6);
  ASSERT_EQ(v6.size(), 6u);
  EXPECT_EQ(FormatAddress(Family::kIpv6, v6[0].local_address), "::");
  EXPECT_EQ(FormatAddress(Family::kIpv6, v6[2].remote_address), "2001:db8::7");
  EXPECT_EQ(FormatAddress(Family::kIpv6, v6[5].local_address), "::1");
}

TEST(ProcfsSocketTable, ReadsFixtureDatagramAndRaw) {
  EXPECT_EQ(DumpFixture(Protocol::kUdp, Family::kIpv4).size(), 4u);
  EXPECT_EQ(DumpFixture(Protocol::kUdp, Family::kIpv6).size(), 2u);
  EXPECT_EQ(DumpFixture(Protocol::kUdpLite, Family::kIpv4).size(), 0u);
  std::vector<InetSocket> raw6 = DumpFixture(Protocol::kRaw, Family::kIpv6);
  ASSERT_EQ(raw6.size(), 1u);
  EXPECT_EQ(raw6[0].local_port, 58);  // raw "ports" are the IP protocol (ICMPv6)
}

TEST(ProcfsSocketTable, ReadsFixtureUnix) {
  ProcfsSocketTable table(procfs::Root(FixturePath("proc"), FixturePath("sys")));
  int listen = 0, connected = 0, unconnected = 0;
  DumpResult r = table.DumpUnix([&](const UnixSocket& s) {
    listen += s.state == kListen;
    connected += s.state == kEstablished;
    unconnected += s.state == kClose;
  });
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(listen, 2);
  EXPECT_EQ(connected, 4);
  EXPECT_EQ(unconnected, 2);
}

// Any user may bind a unix socket to a path holding '\n': the kernel prints it as is,
// so the rest of the path is a line of its own. That is not a damaged table.
TEST(ProcfsSocketTable, UnixPathWithNewline) {
  char dir[] = "/tmp/socket_table_unixXXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string net = std::string(dir) + "/net";
  ASSERT_EQ(mkdir(net.c_str(), 0755), 0);
  const std::string header = "Num       RefCount Protocol Flags    Type St Inode Path\n";
  const std::string entry = "0000000000000000: 00000002 00000000 00010000 0001 01 20070";
  std::ofstream(net + "/unix") << header << entry << " /tmp/a\nb c\n\n"
                               << entry << " /run/x\n"
                               << entry << "\n";
  ProcfsSocketTable table(procfs::Root(dir, "/sys"));
  int sockets = 0;
  DumpResult r = table.DumpUnix([&](const UnixSocket&) { ++sockets; });
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(sockets, 3);
  // After a socket without a path, a stray line is damage.
  std::ofstream(net + "/unix") << header << entry << "\nstray\n";
  r = table.DumpUnix([&](const UnixSocket&) {});
  EXPECT_FALSE(r.ok);
  std::system((std::string("rm -rf ") + dir).c_str());
}

// A listeners-only TCP dump stops at the first socket in another state: the kernel
// prints every listener first.
TEST(ProcfsSocketTable, ListenersOnlyStopsAfterTheListeners) {
  char dir[] = "/tmp/socket_table_listenXXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string net = std::string(dir) + "/net";
  ASSERT_EQ(mkdir(net.c_str(), 0755), 0);
  {
    std::ofstream out(net + "/tcp");
    out << "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt\n"
        << "   0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n"
        << "   1: 0100007F:0016 0100007F:9000 01 00000000:00000000 00:00000000 00000000 0 0 2\n"
        << "   2: 0100007F:0017 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 3\n";
  }
  ProcfsSocketTable table(procfs::Root(dir, "/sys"));
  int listeners = 0, all = 0;
  table.DumpInet(Protocol::kTcp, Family::kIpv4, StateBit(kListen),
                 [&](const InetSocket&) { ++listeners; });
  table.DumpInet(Protocol::kTcp, Family::kIpv4, kAllStates, [&](const InetSocket&) { ++all; });
  EXPECT_EQ(listeners, 1);
  EXPECT_EQ(all, 3);
  std::system((std::string("rm -rf ") + dir).c_str());
}

TEST(ProcfsSocketTable, MissingFileIsUnsupported) {
  ProcfsSocketTable table(procfs::Root("/nonexistent", "/nonexistent"));
  DumpResult r =
      table.DumpInet(Protocol::kTcp, Family::kIpv4, kAllStates, [](const InetSocket&) {});
  EXPECT_TRUE(r.ok);
  EXPECT_FALSE(r.supported);
}

constexpr const char* kTcpHeader =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt\n";

std::string TcpLine(int i) {
  char line[200];
  std::snprintf(line, sizeof line,
                "   %d: 0100007F:1F90 0100007F:%04X 01 00000000:00000002 00:00000000 00000000  "
                "   0        0 %d 1 0000000000000000 20 4 30 10 -1                     \n",
                i, 10000 + i, 30000 + i);
  return line;
}

// A temporary procfs root holding net/tcp with `content`; removed with the object.
class TcpTree {
 public:
  explicit TcpTree(const std::string& content) {
    EXPECT_NE(mkdtemp(dir_), nullptr);
    EXPECT_EQ(mkdir(net().c_str(), 0755), 0);
    std::ofstream(net() + "/tcp") << content;
  }
  ~TcpTree() { std::system((std::string("rm -rf ") + dir_).c_str()); }
  std::string net() const { return std::string(dir_) + "/net"; }
  DumpResult Dump(uint64_t* sockets) {
    ProcfsSocketTable table(procfs::Root(dir_, "/sys"));
    *sockets = 0;
    return table.DumpInet(Protocol::kTcp, Family::kIpv4, kAllStates,
                          [&](const InetSocket&) { ++*sockets; });
  }

 private:
  char dir_[32] = "/tmp/socket_table_testXXXXXX";
};

// A file larger than the read buffer: lines split across reads all arrive.
TEST(ProcfsSocketTable, LargeFile) {
  std::string content = kTcpHeader;
  for (int i = 0; i < 5000; ++i) content += TcpLine(i);
  TcpTree tree(content);
  uint64_t sockets = 0;
  DumpResult r = tree.Dump(&sockets);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(sockets, 5000u);
}

// Anything that is not a whole, well-formed table fails the dump and names the line:
// the collectors then publish nothing from it rather than a count of what parsed.
TEST(ProcfsSocketTable, RefusesMalformedTables) {
  const std::string good = std::string(kTcpHeader) + TcpLine(0) + TcpLine(1);
  const std::string last = TcpLine(2);
  const struct {
    std::string content, error;
  } cases[] = {
      {good + "garbage line\n" + last, "line 4: malformed"},
      {good + std::string(100000, 'x') + "\n" + last, "line 4: longer than"},
      {good + last.substr(0, 40), "line 4: truncated"},
      {"", "empty"},
      {"\x01\x02binary\n" + good, "line 1: not the header"},
      {good.substr(0, 20), "line 1: truncated"},
  };
  for (const auto& c : cases) {
    TcpTree tree(c.content);
    uint64_t sockets = 0;
    DumpResult r = tree.Dump(&sockets);
    EXPECT_FALSE(r.ok) << c.error;
    EXPECT_NE(r.error.find(c.error), std::string::npos) << r.error;
  }
}

TEST(ProcfsSocketTable, RefusesFifoWithoutBlocking) {
  TcpTree tree("");
  ASSERT_EQ(unlink((tree.net() + "/tcp").c_str()), 0);
  ASSERT_EQ(mkfifo((tree.net() + "/tcp").c_str(), 0600), 0);
  uint64_t sockets = 0;
  DumpResult r = tree.Dump(&sockets);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("not a regular file"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace netstat::socket_table
