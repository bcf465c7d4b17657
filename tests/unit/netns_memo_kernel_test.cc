// BindMountMemo against the real kernel (root only): a dir of real nsfs bind mounts is
// read again only when it changed or a mount came or went, and what it gives is what a
// full read gives.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "readers/netns/discovery.h"
#include "readers/procfs/root.h"
#include "tests/unit/proctable_test_tree.h"
#include "tests/unit/unshared_child.h"

namespace netstat::netns {
namespace {

const procfs::Root kLive("/proc", "/sys");

using netstat::testing::UnsharedChild;

TEST(NetnsMemoKernel, ADirIsReadAgainOnlyWhenItOrTheMountsChanged) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  UnsharedChild child;
  ASSERT_TRUE(child.ready());
  struct stat ns {};
  ASSERT_EQ(::stat(child.ns().c_str(), &ns), 0);
  netstat::testing::ProcTree dir;
  dir.Write("a", "");
  dir.Write("plain", "");
  const std::string target = dir.root() + "/a";
  struct Unmount {
    std::string target;
    ~Unmount() { ::umount2(target.c_str(), MNT_DETACH); }
  } unmount{target};
  ASSERT_EQ(::mount(child.ns().c_str(), target.c_str(), nullptr, MS_BIND, nullptr), 0);
  BindMountMemo memo;
  auto named_a = [&] {
    const Discovery d = Discover(kLive, {dir.root()}, &memo);
    for (const NamespaceRef& r : d.foreign) {
      if (r.name == "a") return r.inode;
    }
    return uint64_t{0};
  };
  EXPECT_EQ(named_a(), ns.st_ino);
  EXPECT_EQ(memo.dirs_read, 1u);
  EXPECT_EQ(named_a(), ns.st_ino);
  EXPECT_EQ(memo.dirs_read, 1u);  // changed within the last second: read again
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_EQ(named_a(), ns.st_ino);
  EXPECT_EQ(memo.dirs_read, 1u);  // read, and kept
  // Nothing changed: not read (unless a mount elsewhere, another test's, came between:
  // then the next call finds nothing changed).
  auto quiet = [&](uint64_t want) {
    for (int i = 0; i < 20; ++i) {
      EXPECT_EQ(named_a(), want);
      if (memo.dirs_read == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  };
  EXPECT_TRUE(quiet(ns.st_ino));

  ASSERT_EQ(::umount2(target.c_str(), MNT_DETACH), 0);  // the dir's mtime stays
  EXPECT_EQ(named_a(), 0u);
  EXPECT_EQ(memo.dirs_read, 1u);
  EXPECT_TRUE(quiet(0));
  ASSERT_EQ(::mount(child.ns().c_str(), target.c_str(), nullptr, MS_BIND, nullptr), 0);
  EXPECT_EQ(named_a(), ns.st_ino);
  EXPECT_EQ(memo.dirs_read, 1u);

  dir.Write("b", "");  // a new entry: the dir's mtime moves
  EXPECT_EQ(named_a(), ns.st_ino);
  EXPECT_EQ(memo.dirs_read, 1u);
}

}  // namespace
}  // namespace netstat::netns
