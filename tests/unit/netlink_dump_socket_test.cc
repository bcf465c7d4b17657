// The shared netlink dump loop against the live kernel (rtnetlink, always there): a
// dump read to its end, an abandoned reply that must not leak into the next dump, for
// an opened and for an adopted socket, a stalled reply, and sockets it must refuse. The
// reply walk's own cases are in sock_diag_test.cc; the type filter is here.
#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "readers/netlink/dump_socket.h"
#include "readers/netlink/reply_walk.h"
#include "tests/netlink_message.h"

namespace netstat::netlink {
namespace {

struct LinkRequest {
  nlmsghdr header;
  ifinfomsg ifi;
};

// RTM_GETLINK: a dump of every interface, or (index > 0) one interface.
LinkRequest Links(DumpSocket& socket, uint16_t flags, int index = 0) {
  LinkRequest r{};
  r.header.nlmsg_len = NLMSG_LENGTH(sizeof r.ifi);
  r.header.nlmsg_type = RTM_GETLINK;
  r.header.nlmsg_flags = flags;
  r.header.nlmsg_seq = socket.NextSeq();
  r.ifi.ifi_family = AF_UNSPEC;
  r.ifi.ifi_index = index;
  return r;
}

std::span<const uint8_t> Bytes(const LinkRequest& r) {
  return {reinterpret_cast<const uint8_t*>(&r), sizeof r};
}

// Reads a link dump to its end; counts links and stale messages.
struct LinkCount {
  uint32_t links = 0;
  uint32_t skipped = 0;
  ReplyChunk::Status status = ReplyChunk::kMore;
  Chunk operator()(const Datagram& d) {
    ReplyChunk c = WalkReply(d.bytes, d.seq, d.portid, RTM_NEWLINK,
                             [](std::span<const uint8_t>) { return true; });
    links += c.messages;
    skipped += c.skipped;
    status = c.status;
    return c.status == ReplyChunk::kMore ? Chunk::kMore : Chunk::kDone;
  }
};

std::unique_ptr<DumpSocket> Make(bool adopt) {
  std::string error;
  if (!adopt) return DumpSocket::Open(NETLINK_ROUTE, &error);
  int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  return DumpSocket::Adopt(fd, &error);
}

class DumpSocketTest : public ::testing::TestWithParam<bool> {};

TEST_P(DumpSocketTest, ReadsADumpToItsEnd) {
  auto socket = Make(GetParam());
  ASSERT_TRUE(socket);
  EXPECT_EQ(socket->protocol(), NETLINK_ROUTE);
  EXPECT_EQ(socket->adopted(), GetParam());
  for (int round = 0; round < 2; ++round) {  // the same socket and buffer, twice
    LinkCount count;
    EXPECT_EQ(socket->Dump(Bytes(Links(*socket, NLM_F_REQUEST | NLM_F_DUMP)), count), "");
    EXPECT_EQ(count.status, ReplyChunk::kDone);
    EXPECT_GE(count.links, 1u);  // lo at least
    EXPECT_EQ(count.skipped, 0u);
  }
}

// A one-interface request with NLM_F_ACK gets two datagrams: the link, then the ack.
// Abandoned after the first, the ack is left behind; the next dump must not see it.
TEST_P(DumpSocketTest, AnAbandonedReplyNeverReachesTheNextDump) {
  auto socket = Make(GetParam());
  ASSERT_TRUE(socket);
  int datagrams = 0;
  const LinkRequest one = Links(*socket, NLM_F_REQUEST | NLM_F_ACK, 1);
  EXPECT_EQ(socket->Dump(Bytes(one),
                         [&](const Datagram&) {
                           ++datagrams;
                           return Chunk::kAbandon;
                         }),
            "");
  EXPECT_EQ(datagrams, 1);
  LinkCount count;
  EXPECT_EQ(socket->Dump(Bytes(Links(*socket, NLM_F_REQUEST | NLM_F_DUMP)), count), "");
  EXPECT_EQ(count.status, ReplyChunk::kDone);
  EXPECT_GE(count.links, 1u);
  EXPECT_EQ(count.skipped, 0u) << "the abandoned ack reached the next dump";
}

// Without NLM_F_REQUEST the kernel ignores the message: no reply ever comes.
TEST_P(DumpSocketTest, AStalledReplyTimesOutAndTheSocketStaysUsable) {
  auto socket = Make(GetParam());
  ASSERT_TRUE(socket);
  ASSERT_TRUE(socket->SetReceiveTimeout(std::chrono::milliseconds(200)));
  EXPECT_FALSE(socket->SetReceiveTimeout(std::chrono::milliseconds(0)));
  LinkCount ignored;
  EXPECT_EQ(socket->Dump(Bytes(Links(*socket, NLM_F_DUMP)), ignored),
            "receive: no reply within 200 ms");
  LinkCount count;
  EXPECT_EQ(socket->Dump(Bytes(Links(*socket, NLM_F_REQUEST | NLM_F_DUMP)), count), "");
  EXPECT_GE(count.links, 1u);
}

INSTANTIATE_TEST_SUITE_P(OpenedAndAdopted, DumpSocketTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Adopted" : "Opened"; });

TEST(DumpSocket, AdoptRefusesWhatIsNoNetlinkSocket) {
  std::string error;
  const int udp = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(udp, 0);
  EXPECT_FALSE(DumpSocket::Adopt(udp, &error));
  EXPECT_EQ(error, "adopt: not a netlink socket");
  EXPECT_EQ(close(udp), -1) << "the refused fd was not closed";
  error.clear();
  EXPECT_FALSE(DumpSocket::Adopt(-1, &error));
  EXPECT_EQ(error, "adopt: Bad file descriptor");
}

TEST(DumpSocket, AdoptKeepsAnExistingBinding) {
  const int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  ASSERT_GE(fd, 0);
  sockaddr_nl address{};
  address.nl_family = AF_NETLINK;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  std::string error;
  auto socket = DumpSocket::Adopt(fd, &error);
  ASSERT_TRUE(socket) << error;
  LinkCount count;
  EXPECT_EQ(socket->Dump(Bytes(Links(*socket, NLM_F_REQUEST | NLM_F_DUMP)), count), "");
  EXPECT_GE(count.links, 1u);
}

TEST(WalkReply, HandsOverOnlyTheWantedType) {
  std::vector<uint8_t> bytes;
  const uint32_t payload = 0;
  netstat::testing::AppendNetlinkMessage(&bytes, NLMSG_NOOP, &payload, sizeof payload, 0, 5, 9);
  netstat::testing::AppendNetlinkMessage(&bytes, RTM_NEWLINK, &payload, sizeof payload, 0, 5, 9);
  netstat::testing::AppendNetlinkMessage(&bytes, RTM_NEWROUTE, &payload, sizeof payload, 0, 5, 9);
  netstat::testing::AppendNetlinkMessage(&bytes, RTM_NEWROUTE, &payload, sizeof payload, 0, 4, 9);
  std::vector<size_t> lengths;
  ReplyChunk c = WalkReply(bytes, 5, 9, RTM_NEWROUTE, [&](std::span<const uint8_t> m) {
    lengths.push_back(m.size());
    return true;
  });
  EXPECT_EQ(c.status, ReplyChunk::kMore);
  EXPECT_EQ(c.messages, 1u);
  EXPECT_EQ(c.skipped, 1u);
  EXPECT_EQ(lengths, std::vector<size_t>{NLMSG_LENGTH(sizeof payload)});
  // A message the handler calls malformed ends the walk.
  c = WalkReply(bytes, 5, 9, RTM_NEWLINK, [](std::span<const uint8_t>) { return false; });
  EXPECT_EQ(c.status, ReplyChunk::kMalformed);
  EXPECT_EQ(c.messages, 0u);
}

}  // namespace
}  // namespace netstat::netlink
