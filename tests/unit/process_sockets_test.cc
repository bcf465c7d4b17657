// process_sockets: the inode map, counting per owner and folding into groups, the cap,
// and the /proc/*/fd walk on throw-away trees and on the real /proc.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>
#include <string>

#include "collectors/process_sockets/inode_map.h"
#include "collectors/process_sockets/process_tally.h"
#include "collectors/process_sockets/socket_owners.h"
#include "tests/unit/proctable_test_tree.h"

namespace netstat::process_sockets {
namespace {

namespace st = socket_table;
using testing::ProcTree;

TEST(InodeMap, LowestOwnerWinsAndMissesAreNone) {
  InodeMap m;
  m.Reset(0);
  EXPECT_EQ(m.Find(5), InodeMap::kNone);
  EXPECT_TRUE(m.Insert(5, 1));
  EXPECT_FALSE(m.Insert(5, 2));                 // held by a later pid too: the first stays
  EXPECT_FALSE(m.Insert(0, 3));                 // no inode: never stored
  EXPECT_TRUE(m.Insert(uint64_t{1} << 40, 4));  // wider than 32 bits: the side map
  EXPECT_EQ(m.Find(5), 1u);
  EXPECT_EQ(m.Find(0), InodeMap::kNone);
  EXPECT_EQ(m.Find(uint64_t{1} << 40), 4u);
  EXPECT_EQ(m.Find((uint64_t{1} << 40) + 5), InodeMap::kNone);  // not confused with 5
  EXPECT_EQ(m.size(), 1u);
}

TEST(InodeMap, GrowsKeepsEverythingAndResets) {
  InodeMap m;
  m.Reset(10);
  for (uint32_t i = 1; i <= 100000; ++i) ASSERT_TRUE(m.Insert(i * 7919u, i));
  for (uint32_t i = 1; i <= 100000; ++i) ASSERT_EQ(m.Find(i * 7919u), i);
  EXPECT_EQ(m.Find(3), InodeMap::kNone);
  EXPECT_LE(m.memory_bytes(), 100000u * 21);  // 8-byte slots, at most 80% full
  m.Reset(100000);
  EXPECT_EQ(m.size(), 0u);
  EXPECT_EQ(m.Find(7919), InodeMap::kNone);
}

TEST(Slots, EveryNamedStateHasDistinctLabels) {
  std::set<std::string> seen;
  for (st::Protocol p :
       {st::Protocol::kTcp, st::Protocol::kUdp, st::Protocol::kUdpLite, st::Protocol::kRaw}) {
    for (st::Family f : {st::Family::kIpv4, st::Family::kIpv6}) {
      for (uint8_t s = 0; s <= st::kNewSynRecv; ++s) {
        const size_t slot = InetSlot(p, f, s);
        ASSERT_LT(slot, kInetSlots);
        const SlotLabels l = LabelsOf(slot);
        EXPECT_STREQ(l.protocol, st::ProtocolName(p));
        EXPECT_STREQ(l.family, st::FamilyName(f));
        if (l.state != nullptr) {
          EXPECT_TRUE(seen.insert(std::string(l.protocol) + l.family + l.state).second);
        }
      }
    }
  }
  EXPECT_EQ(InetSlot(st::Protocol::kTcp, st::Family::kIpv4, 13), kNoSlot);
  EXPECT_STREQ(LabelsOf(UnixSlot(st::kListen)).state, "listen");
  EXPECT_STREQ(LabelsOf(UnixSlot(st::kEstablished)).state, "connected");
  EXPECT_STREQ(LabelsOf(UnixSlot(st::kClose)).state, "unconnected");
  EXPECT_EQ(UnixSlot(st::kTimeWait), kNoSlot);
}

TEST(NamespaceTally, FoldsOwnersIntoGroupsAndUntrustedIntoUnowned) {
  const size_t est = InetSlot(st::Protocol::kTcp, st::Family::kIpv4, st::kEstablished);
  const size_t cw = InetSlot(st::Protocol::kTcp, st::Family::kIpv4, st::kCloseWait);
  NamespaceTally t;
  t.Begin(4);
  t.Add(0, est);
  t.Add(1, cw);
  t.Add(1, cw);
  t.Add(2, est);  // same group as owner 0
  t.Add(3, est);  // exiting
  t.Add(NamespaceTally::kUnowned, est);
  t.Add(7, est);      // an index beyond the owners: unowned
  t.Add(0, kNoSlot);  // a state without a slot: ignored
  std::vector<std::pair<uint32_t, Counts>> groups;
  Counts unowned{};
  t.Fold([](uint32_t o) { return o == 2 ? 0u : o; }, [](uint32_t o) { return o != 3; }, &groups,
         &unowned);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].first, 0u);
  EXPECT_EQ(groups[0].second[est], 2u);
  EXPECT_EQ(groups[1].first, 1u);
  EXPECT_EQ(groups[1].second[cw], 2u);
  EXPECT_EQ(unowned[est], 3u);
}

TEST(NamespaceTally, RestoreDropsWhatCameAfterSave) {
  const size_t slot = UnixSlot(st::kEstablished);
  NamespaceTally t;
  t.Begin(3);
  t.Add(0, slot);
  t.Save();
  t.Add(0, slot);
  t.Add(1, slot);
  t.Add(NamespaceTally::kUnowned, slot);
  t.Restore();
  t.Add(2, slot);
  std::vector<std::pair<uint32_t, Counts>> groups;
  Counts unowned{};
  t.Fold([](uint32_t o) { return o; }, [](uint32_t) { return true; }, &groups, &unowned);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].first, 0u);
  EXPECT_EQ(groups[0].second[slot], 1u);
  EXPECT_EQ(groups[1].first, 2u);
  EXPECT_EQ(unowned[slot], 0u);
  t.Begin(3);  // a new namespace starts empty
  groups.clear();
  t.Fold([](uint32_t o) { return o; }, [](uint32_t) { return true; }, &groups, &unowned);
  EXPECT_TRUE(groups.empty());
}

Row MakeRow(size_t ns, uint32_t group, uint64_t n) {
  Row r;
  r.ns = ns;
  r.group = group;
  r.counts[InetSlot(st::Protocol::kTcp, st::Family::kIpv4, st::kEstablished)] = n;
  r.counts[UnixSlot(st::kClose)] = 1;
  return r;
}

TEST(CapRows, KeepsTheLargestAndSumsTheRestPerNamespace) {
  std::vector<Row> rows = {MakeRow(0, 0, 5), MakeRow(0, 1, 50), MakeRow(1, 2, 7), MakeRow(0, 3, 1),
                           MakeRow(1, 4, 2)};
  std::vector<std::pair<size_t, Counts>> other;
  EXPECT_EQ(CapRows(&rows, 2, &other), 3u);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].group, 1u);
  EXPECT_EQ(rows[1].group, 2u);
  EXPECT_EQ(rows[0].total, 51u);
  const size_t est = InetSlot(st::Protocol::kTcp, st::Family::kIpv4, st::kEstablished);
  ASSERT_EQ(other.size(), 2u);
  EXPECT_EQ(other[0].first, 0u);
  EXPECT_EQ(other[0].second[est], 6u);
  EXPECT_EQ(other[0].second[UnixSlot(st::kClose)], 2u);
  EXPECT_EQ(other[1].first, 1u);
  EXPECT_EQ(other[1].second[est], 2u);

  std::vector<Row> few = {MakeRow(0, 0, 1)};
  other.clear();
  EXPECT_EQ(CapRows(&few, 2, &other), 0u);
  EXPECT_EQ(few.size(), 1u);
  EXPECT_TRUE(other.empty());
}

TEST(SocketOwners, LowestPidHoldsSharedSocketsAndGroupsByName) {
  ProcTree tree;
  tree.AddProcess(10, "nginx", 100);
  tree.AddSocket(10, 3, 501);
  tree.AddSocket(10, 4, 502);
  tree.AddFd(10, 5, "/dev/null");
  tree.AddProcess(11, "nginx", 101);
  tree.AddSocket(11, 3, 501);  // the forked worker shares the master's listener
  tree.AddSocket(11, 6, 503);
  tree.AddProcess(12, "sshd", 102);
  tree.AddSocket(12, 3, 501);  // only shared sockets: no owner of its own
  tree.AddProcess(13, "redis-server", 103);
  tree.AddSocket(13, 7, 601);
  tree.Write("14/stat", "garbage");  // unreadable name: skipped
  std::filesystem::create_directories(tree.root() + "/14/fd");
  tree.AddSocket(14, 3, 701);
  SocketOwners owners(tree.root(), false, false, false);
  owners.Walk();
  ASSERT_NE(owners.OwnerOf(501), InodeMap::kNone);
  const auto name = [&](uint64_t inode) {
    return owners.groups()[owners.GroupOf(owners.OwnerOf(inode))].process;
  };
  EXPECT_EQ(owners.GroupOf(owners.OwnerOf(501)), owners.GroupOf(owners.OwnerOf(503)));
  EXPECT_EQ(name(501), "nginx");
  EXPECT_EQ(name(601), "redis-server");
  EXPECT_EQ(owners.OwnerOf(701), InodeMap::kNone);
  EXPECT_EQ(owners.owners(), 3u);  // 10, 11, 13
  EXPECT_EQ(owners.groups().size(), 2u);
  EXPECT_EQ(owners.stats().sockets, 6u);  // held sockets of named processes, shared ones per holder

  // A second walk starts afresh: a process gone, a socket moved.
  tree.RemoveProcess(10);
  owners.Walk();
  EXPECT_EQ(owners.OwnerOf(502), InodeMap::kNone);
  EXPECT_EQ(name(501), "nginx");  // pid 11 now
}

TEST(SocketOwners, PidAndUserLabelsSplitGroups) {
  ProcTree tree;
  tree.AddProcess(20, "worker", 1);
  tree.AddSocket(20, 3, 801);
  tree.Write("20/status", "Name:\tworker\nUid:\t1000\t0\t0\t0\n");
  tree.AddProcess(21, "worker", 2);
  tree.AddSocket(21, 3, 802);
  tree.Write("21/status", "Name:\tworker\nUid:\t1000\t65534\t65534\t65534\n");
  tree.Write("1/root/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
  SocketOwners owners(tree.root(), false, true, true);
  owners.Walk();
  ASSERT_EQ(owners.groups().size(), 2u);
  const GroupKey& a = owners.groups()[owners.GroupOf(owners.OwnerOf(801))];
  const GroupKey& b = owners.groups()[owners.GroupOf(owners.OwnerOf(802))];
  EXPECT_EQ(a.user, "root");  // the effective uid, by name
  EXPECT_EQ(a.pid, 20);
  EXPECT_EQ(b.user, "65534");  // no name: the number
  EXPECT_EQ(b.pid, 21);
}

TEST(SocketOwners, ExitingOrReplacedProcessesAreNotTrusted) {
  ProcTree tree;
  tree.AddProcess(30, "a", 1);
  tree.AddSocket(30, 3, 901);
  tree.AddProcess(31, "b", 2);
  tree.AddSocket(31, 3, 902);
  tree.AddProcess(32, "c", 3);
  tree.AddSocket(32, 3, 903);
  tree.AddProcess(33, "d", 4);
  tree.AddSocket(33, 3, 904);
  SocketOwners owners(tree.root(), false, false, false);
  owners.Walk();
  // 31 began do_exit() (PF_EXITING), 32 is a new process under the same pid, 33 is gone.
  tree.Write("31/stat", "31 (b) S 1 1 1 0 -1 4194564 0 0 0 0 0 0 0 0 20 0 1 0 2 0 0\n");
  tree.AddProcess(32, "c", 99);
  tree.RemoveProcess(33);
  EXPECT_TRUE(owners.StillAlive(owners.OwnerOf(901)));
  EXPECT_FALSE(owners.StillAlive(owners.OwnerOf(902)));
  EXPECT_FALSE(owners.StillAlive(owners.OwnerOf(903)));
  EXPECT_FALSE(owners.StillAlive(owners.OwnerOf(904)));
  tree.Write("30/stat", "30 (a) Z 1 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0\n");
  EXPECT_TRUE(owners.StillAlive(owners.OwnerOf(901)));  // answered once per walk
}

TEST(SocketOwners, RealProcFindsOurOwnSocket) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  struct stat sb;
  ASSERT_EQ(::fstat(fd, &sb), 0);
  SocketOwners owners("/proc", true, true, true);
  owners.Walk();
  const uint32_t o = owners.OwnerOf(sb.st_ino);
  ASSERT_NE(o, InodeMap::kNone);
  EXPECT_EQ(owners.groups()[owners.GroupOf(o)].pid, ::getpid());
  EXPECT_TRUE(owners.StillAlive(o));
  EXPECT_GT(owners.stats().pids, 1u);
  ::close(fd);
}

}  // namespace
}  // namespace netstat::process_sockets
