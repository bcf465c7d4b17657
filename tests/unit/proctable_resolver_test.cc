#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "proctable_test_tree.h"
#include "readers/proctable/owner_resolver.h"
#include "readers/proctable/process_table.h"
#include "readers/proctable/user_names.h"

namespace netstat::proctable {
namespace {

using namespace std::string_literals;
using netstat::testing::ProcTree;
using Owners = std::unordered_map<uint64_t, Owner>;

// Inodes the fd links of tests/fixtures/proc/{1234,2345} point at.
constexpr uint64_t kFixtureSshdInode = 20001;
constexpr uint64_t kFixtureResolvedInode = 20011;

class ResolverTest : public ::testing::Test {
 protected:
  ResolverTest() : processes_(tree_.root(), true, false), resolver_(tree_.root(), &processes_) {
    tree_.AddProcess(1234, "sshd", 1820, "/usr/sbin/sshd\0-D\0"s);
    tree_.AddFd(1234, 0, "/dev/null");
    tree_.AddFd(1234, 1, "pipe:[777]");
    tree_.AddSocket(1234, 3, 1001);
    tree_.AddSocket(1234, 4, 1002);
    tree_.AddProcess(2345, "nginx", 5000, "nginx: master process\0"s);
    tree_.AddSocket(2345, 6, 2001);
    tree_.AddProcess(2400, "nginx", 5100, "nginx: worker process\0"s);
    tree_.AddSocket(2400, 6, 2001);  // the worker shares the master's listener
    tree_.AddSocket(2400, 7, 2002);
  }

  Owners Resolve(const std::vector<uint64_t>& inodes) {
    processes_.BeginScrape();
    Owners owners;
    resolver_.Resolve(inodes, &owners);
    return owners;
  }

  ProcTree tree_;
  ProcessTable processes_;
  OwnerResolver resolver_;
};

TEST_F(ResolverTest, FirstScrapeWalksAndFindsLowestPid) {
  Owners o = Resolve({1001, 1002, 2001, 2002});
  EXPECT_TRUE(resolver_.stats().walked);
  ASSERT_EQ(o.size(), 4u);
  EXPECT_EQ(o[1001].pid, 1234);
  EXPECT_EQ(o[1001].fd, 3);
  EXPECT_EQ(o[1001].starttime, 1820u);
  EXPECT_EQ(o[1002].fd, 4);
  EXPECT_EQ(o[2001].pid, 2345);  // shared with 2400: the lowest pid wins
  EXPECT_EQ(o[2002].pid, 2400);
  EXPECT_EQ(resolver_.stats().unresolved, 0u);
}

TEST_F(ResolverTest, SteadyStateVerifiesWithoutWalking) {
  Resolve({1001, 2001});
  Owners o = Resolve({1001, 2001});
  EXPECT_FALSE(resolver_.stats().walked);
  EXPECT_EQ(resolver_.stats().verified, 2u);
  EXPECT_EQ(o[1001].pid, 1234);
  EXPECT_EQ(o[2001].pid, 2345);
}

TEST_F(ResolverTest, NewInodeTriggersWalk) {
  Resolve({1001});
  tree_.AddSocket(2345, 8, 2003);
  Owners o = Resolve({1001, 2003});
  EXPECT_TRUE(resolver_.stats().walked);
  EXPECT_EQ(o[2003].pid, 2345);
  EXPECT_EQ(o[2003].fd, 8);
}

TEST_F(ResolverTest, OwnerExitsAndSharedHolderTakesOver) {
  Resolve({2001});
  tree_.RemoveProcess(2345);
  Owners o = Resolve({2001});
  EXPECT_TRUE(resolver_.stats().walked);
  EXPECT_EQ(o[2001].pid, 2400);
}

TEST_F(ResolverTest, PidReuseIsNoticedByStartTime) {
  Resolve({1001});
  // Same pid, same fd number, same inode text, but a different process now.
  tree_.AddProcess(1234, "sshd", 99999, "/usr/sbin/sshd\0"s);
  Owners o = Resolve({1001});
  EXPECT_TRUE(resolver_.stats().walked);
  EXPECT_EQ(o[1001].starttime, 99999u);
}

TEST_F(ResolverTest, ClosedFdIsNoticed) {
  Resolve({1002});
  tree_.RemoveFd(1234, 4);
  tree_.AddSocket(2400, 9, 1002);  // passed to another process
  Owners o = Resolve({1002});
  EXPECT_TRUE(resolver_.stats().walked);
  EXPECT_EQ(o[1002].pid, 2400);
  EXPECT_EQ(o[1002].fd, 9);
}

TEST_F(ResolverTest, OwnerlessInodeDoesNotWalkEveryScrape) {
  Owners o = Resolve({1001, 4242});  // 4242: held by no process (a kernel socket)
  EXPECT_TRUE(resolver_.stats().walked);
  EXPECT_EQ(o.count(4242), 0u);
  EXPECT_EQ(resolver_.stats().unresolved, 1u);
  o = Resolve({1001, 4242});
  EXPECT_FALSE(resolver_.stats().walked);
  EXPECT_EQ(resolver_.stats().unresolved, 1u);
  EXPECT_EQ(o[1001].pid, 1234);
}

TEST_F(ResolverTest, OwnerlessInodeIsRetriedAfterBackoff) {
  OwnerResolver eager(tree_.root(), &processes_, std::chrono::seconds(0));
  Owners o;
  processes_.BeginScrape();
  eager.Resolve({4242}, &o);
  tree_.AddSocket(2345, 11, 4242);
  processes_.BeginScrape();
  eager.Resolve({4242}, &o);
  EXPECT_TRUE(eager.stats().walked);
  EXPECT_EQ(o[4242].pid, 2345);
}

TEST_F(ResolverTest, VanishedProcessDirectoryIsSkipped) {
  tree_.Write("3000/stat", "");  // a pid whose fd directory is already gone
  Owners o = Resolve({2002});
  EXPECT_EQ(o[2002].pid, 2400);
}

TEST_F(ResolverTest, EmptyInputIsCheap) {
  Owners o = Resolve({});
  EXPECT_FALSE(resolver_.stats().walked);
  EXPECT_TRUE(o.empty());
}

TEST(ProcessTable, NamesCmdlineAndChanges) {
  ProcTree tree;
  tree.AddProcess(2345, "systemd-resolve", 2250, "/lib/systemd/systemd-resolved\0"s);
  ProcessTable table(tree.root(), true, true);
  table.BeginScrape();
  const ProcessInfo* p = table.Get(2345);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->name, "systemd-resolved");
  EXPECT_EQ(p->cmdline, "/lib/systemd/systemd-resolved");
  EXPECT_EQ(p->exe, "");  // no exe link in the tree
  EXPECT_EQ(table.Get(1), nullptr);
  // exec into another program: comm and start time decide whether to re-read.
  tree.AddProcess(2345, "other", 2250, "/bin/other\0"s);
  table.BeginScrape();
  p = table.Get(2345);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->name, "other");
  EXPECT_EQ(p->cmdline, "/bin/other");
}

// What the kernel said this scrape (Know) spares the stat read of a process it still
// describes; a process it describes otherwise, or one not cached, is read as before.
TEST(ProcessTable, KnownProcessesNeedNoStatRead) {
  ProcTree tree;
  tree.AddProcess(2345, "systemd-resolve", 2250, "/lib/systemd/systemd-resolved\0"s);
  tree.AddProcess(3456, "sshd", 3000, "/usr/sbin/sshd\0"s);
  ProcessTable table(tree.root(), false, false);
  table.BeginScrape();
  ASSERT_NE(table.Get(2345), nullptr);
  ASSERT_NE(table.Get(3456), nullptr);
  EXPECT_EQ(table.stat_reads(), 2u);

  table.BeginScrape();
  table.Know(2345, 2250, "systemd-resolve");  // as cached
  table.Know(3456, 3001, "sshd");             // another start time: reused pid
  table.Know(4567, 1, "new");                 // not cached: nothing to spare
  ASSERT_NE(table.Get(2345), nullptr);
  EXPECT_EQ(table.stat_reads(), 2u);
  ASSERT_NE(table.Get(3456), nullptr);
  EXPECT_EQ(table.stat_reads(), 3u);
  EXPECT_EQ(table.Get(4567), nullptr);
  EXPECT_EQ(table.stat_reads(), 4u);

  // Known this scrape, then not asked about: kept for the next one like a process asked.
  table.BeginScrape();
  table.Know(2345, 2250, "systemd-resolve");
  table.BeginScrape();
  tree.AddProcess(2345, "other", 2250, "/bin/other\0"s);
  table.Know(2345, 2250, "systemd-resolve");  // the kernel's word is older than the exec
  const ProcessInfo* p = table.Get(2345);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->name, "systemd-resolved");  // what it knew; the next scrape reads "other"
  table.BeginScrape();
  p = table.Get(2345);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->name, "other");
}

// On the live /proc: a process known from its stat file is known unchanged from its held
// comm file; a new comm (prctl) reads stat again; a process that exits is gone.
TEST(ProcessTable, HeldFilesOnTheLiveProc) {
  int to_child[2], from_child[2];
  ASSERT_EQ(::pipe(to_child), 0);
  ASSERT_EQ(::pipe(from_child), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    char c;
    ::prctl(PR_SET_NAME, "held_a");
    (void)!::write(from_child[1], "r", 1);
    if (::read(to_child[0], &c, 1) == 1) ::prctl(PR_SET_NAME, "held_b");
    (void)!::write(from_child[1], "r", 1);
    (void)!::read(to_child[0], &c, 1);
    ::_exit(0);
  }
  char c;
  ASSERT_EQ(::read(from_child[0], &c, 1), 1);
  ProcessTable table("/proc", false, false);
  table.HoldFiles();
  table.BeginScrape();
  const ProcessInfo* p = table.Get(child);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->comm, "held_a");
  EXPECT_EQ(table.stat_reads(), 1u);
  EXPECT_EQ(table.files_opened(), 1u);
  table.BeginScrape();
  ASSERT_NE(table.Get(child), nullptr);
  EXPECT_EQ(table.stat_reads(), 1u);  // the held comm file said it is unchanged

  ASSERT_EQ(::write(to_child[1], "n", 1), 1);
  ASSERT_EQ(::read(from_child[0], &c, 1), 1);
  table.BeginScrape();
  p = table.Get(child);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->comm, "held_b");
  EXPECT_EQ(table.stat_reads(), 2u);
  EXPECT_EQ(table.files_opened(), 1u);  // still the same process's file

  ASSERT_EQ(::write(to_child[1], "x", 1), 1);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  table.BeginScrape();
  EXPECT_EQ(table.Get(child), nullptr);
  for (int fd : {to_child[0], to_child[1], from_child[0], from_child[1]}) ::close(fd);
}

// Held files stay within an eighth of the open-file limit (and 512).
TEST(ProcessTable, HeldFilesStayWithinTheLimit) {
  struct rlimit was {};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &was), 0);
  struct rlimit low = was;
  low.rlim_cur = 80;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  ProcessTable small("/proc", false, false);
  small.HoldFiles();
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &was), 0);
  EXPECT_EQ(small.max_held(), 10u);
  ProcessTable large("/proc", false, false);
  large.HoldFiles();
  EXPECT_EQ(large.max_held(), was.rlim_cur == RLIM_INFINITY || was.rlim_cur >= 4096
                                  ? ProcessTable::kMaxHeldFiles
                                  : was.rlim_cur / 8);
}

TEST(ProcessTable, FixtureTree) {
  ProcessTable table(NETSTAT_FIXTURES "/proc", false, false);
  table.BeginScrape();
  const ProcessInfo* p = table.Get(2345);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->name, "systemd-resolved");
  p = table.Get(1234);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->name, "sshd");
}

TEST(OwnerResolver, FixtureTreeSymlinks) {
  ProcessTable table(NETSTAT_FIXTURES "/proc", false, false);
  OwnerResolver resolver(NETSTAT_FIXTURES "/proc", &table);
  table.BeginScrape();
  Owners o;
  resolver.Resolve({kFixtureSshdInode, kFixtureResolvedInode}, &o);
  EXPECT_EQ(o[kFixtureSshdInode].pid, 1234);
  EXPECT_EQ(o[kFixtureResolvedInode].pid, 2345);
}

TEST(UserNames, PasswdOfTheRootsInit) {
  UserNames users(NETSTAT_FIXTURES "/proc", false);
  EXPECT_EQ(users.Name(0), "root");
  EXPECT_EQ(users.Name(992), "systemd-resolve");
  EXPECT_EQ(users.Name(4321), "4321");
}

TEST(UserNames, LiveUsesNss) {
  UserNames users("/proc", true);
  EXPECT_EQ(users.Name(0), "root");
  EXPECT_EQ(users.Name(3999999999u), "3999999999");
}

}  // namespace
}  // namespace netstat::proctable
