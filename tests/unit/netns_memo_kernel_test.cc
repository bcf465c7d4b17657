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

namespace netstat::netns {
namespace {

const procfs::Root kLive("/proc", "/sys");

// A child in a network namespace of its own, killed and reaped on destruction.
class Child {
 public:
  Child() {
    int ready[2];
    if (::pipe(ready) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      const char ok = ::unshare(CLONE_NEWNET) == 0 ? '1' : '0';
      (void)!::write(ready[1], &ok, 1);
      ::pause();
      ::_exit(0);
    }
    char ok = 0;
    ok_ = pid_ > 0 && ::read(ready[0], &ok, 1) == 1 && ok == '1';
    ::close(ready[0]);
    ::close(ready[1]);
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool ok() const { return ok_; }
  std::string ns() const { return "/proc/" + std::to_string(pid_) + "/ns/net"; }

 private:
  pid_t pid_ = -1;
  bool ok_ = false;
};

TEST(NetnsMemoKernel, ADirIsReadAgainOnlyWhenItOrTheMountsChanged) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  Child child;
  ASSERT_TRUE(child.ok());
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
