// Discover on a fake procfs tree made by the test: ns/net symlinks to "net:[N]", bind-mount
// dirs whose entries are symlinks of the same form, leftovers that must be skipped.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "readers/netns/discovery.h"
#include "readers/procfs/root.h"
#include "tests/unit/proctable_test_tree.h"

namespace netstat::netns {
namespace {

namespace fs = std::filesystem;
using netstat::testing::ProcTree;

void Link(const ProcTree& tree, const std::string& relative, const std::string& target) {
  const fs::path p = fs::path(tree.root()) / relative;
  fs::create_directories(p.parent_path());
  fs::create_symlink(target, p);
}

void AddPid(const ProcTree& tree, int pid, uint64_t inode) {
  Link(tree, std::to_string(pid) + "/ns/net", "net:[" + std::to_string(inode) + "]");
}

std::string Describe(const NamespaceRef& ns) {
  return std::to_string(ns.inode) + " name=" + ns.name + " pid=" + std::to_string(ns.pid) +
         " path=" + ns.path;
}

std::vector<std::string> Describe(const Discovery& d) {
  std::vector<std::string> out;
  for (const NamespaceRef& ns : d.foreign) out.push_back(Describe(ns));
  return out;
}

TEST(NetnsDiscovery, ParseNamespaceLink) {
  EXPECT_EQ(ParseNamespaceLink("net:[4026531840]"), 4026531840u);
  EXPECT_EQ(ParseNamespaceLink("net:[18446744073709551615]"), 18446744073709551615u);
  for (std::string_view bad :
       {"", "net:[]", "net:[", "net:[1", "net:1]", "mnt:[4026531840]", "net:[-1]", "net:[+1]",
        "net:[12a]", "net:[ 1]", "net:[18446744073709551616]", "net:[1]x", "socket:[1]"}) {
    EXPECT_EQ(ParseNamespaceLink(bad), 0u) << bad;
  }
}

TEST(NetnsDiscovery, Label) {
  NamespaceRef ns;
  ns.inode = 4026532281;
  EXPECT_EQ(Label(ns), "net:[4026532281]");
  ns.name = "blue";
  EXPECT_EQ(Label(ns), "blue");
}

class NetnsDiscoveryTree : public ::testing::Test {
 protected:
  void SetUp() override {
    Link(proc_, "self/ns/net", "net:[100]");
    AddPid(proc_, 1, 100);  // own namespace
    AddPid(proc_, 2, 100);
    AddPid(proc_, 20, 200);
    AddPid(proc_, 7, 200);  // the lowest pid of 200, though listed after 20 or not
    AddPid(proc_, 45, 300);
    AddPid(proc_, 46, 300);
    fs::create_directories(proc_.root() + "/50");  // exited: no ns/ any more
    AddPid(proc_, 51, 600);
    Link(proc_, "52/ns/net", "mnt:[700]");    // not a network namespace link
    Link(proc_, "0053/ns/net", "net:[800]");  // not a pid directory's name
    Link(proc_, "sys/ns/net", "net:[900]");   // nor this
    proc_.Write("net/dev", "");               // other procfs files are ignored
    Link(netns_, "blue", "net:[300]");
    Link(netns_, "red", "net:[400]");
    Link(netns_, "green", "net:[400]");             // two names: the smaller wins
    Link(netns_, "default", "net:[100]");           // a bind mount of the own namespace
    Link(netns_, "broken", "/nonexistent/target");  // a dangling symlink
    netns_.Write("leftover", "");                   // a crashed `ip netns add`
    fs::create_directories(netns_.root() + "/subdir");
    Link(docker_, "d4e5f6a7b8c9", "net:[500]");
    Link(docker_, "zzz", "net:[300]");  // "blue" < "zzz" across dirs too
    Link(docker_, "aaa", "net:[600]");
  }

  Discovery Run(std::vector<std::string> dirs) {
    return Discover(procfs::Root(proc_.root(), "/sys"), dirs);
  }

  ProcTree proc_;
  ProcTree netns_;
  ProcTree docker_;
};

TEST_F(NetnsDiscoveryTree, PidsAndBindMountsMerge) {
  const Discovery d = Run({netns_.root(), docker_.root() + "/"});
  EXPECT_EQ(d.own_inode, 100u);
  EXPECT_TRUE(d.errors.empty()) << d.errors.front();
  const std::vector<std::string> want = {
      "200 name= pid=7 path=" + proc_.root() + "/7/ns/net",
      "300 name=blue pid=45 path=" + netns_.root() + "/blue",
      "400 name=green pid=0 path=" + netns_.root() + "/green",
      "500 name=d4e5f6a7b8c9 pid=0 path=" + docker_.root() + "/d4e5f6a7b8c9",
      "600 name=aaa pid=51 path=" + docker_.root() + "/aaa",
  };
  EXPECT_EQ(Describe(d), want);
}

TEST_F(NetnsDiscoveryTree, MissingDirIsNoErrorUnreadableDirIs) {
  const std::string under_a_file = netns_.root() + "/leftover/netns";  // ENOTDIR, even for root
  const Discovery d = Run({proc_.root() + "/no/such/dir", under_a_file, netns_.root()});
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_EQ(d.errors[0], "bind-mount dir " + under_a_file + ": Not a directory");
  ASSERT_EQ(d.foreign.size(), 4u);  // 200, 300, 400 named from netns_, 600
  EXPECT_EQ(d.foreign[1].name, "blue");
}

TEST_F(NetnsDiscoveryTree, NoBindMountDirs) {
  const Discovery d = Run({});
  std::vector<uint64_t> inodes;
  for (const NamespaceRef& ns : d.foreign) {
    inodes.push_back(ns.inode);
    EXPECT_EQ(ns.name, "");
    EXPECT_EQ(ns.path, proc_.root() + "/" + std::to_string(ns.pid) + "/ns/net");
  }
  EXPECT_EQ(inodes, (std::vector<uint64_t>{200, 300, 600}));
}

TEST_F(NetnsDiscoveryTree, WithoutSelfTheOwnNamespaceIsTheLiveOne) {
  fs::remove_all(proc_.root() + "/self");
  struct stat st {};
  ASSERT_EQ(::stat("/proc/self/ns/net", &st), 0);
  const Discovery d = Run({});
  EXPECT_EQ(d.own_inode, st.st_ino);
  // 100 is not the live namespace, so now it is foreign too.
  ASSERT_FALSE(d.foreign.empty());
  EXPECT_EQ(d.foreign[0].inode, 100u);
  EXPECT_EQ(d.foreign[0].pid, 1);
}

// The task list stands in for the readdir: the same namespaces, lowest pids and paths as
// the pid walk, with a readlink only for a process new or changed since the last call,
// none for one the list puts in the own namespace, and the readlink's word over the list's.
TEST_F(NetnsDiscoveryTree, TaskListGivesWhatThePidWalkGives) {
  const std::vector<std::string> dirs = {netns_.root(), docker_.root() + "/"};
  TaskMemo tasks;
  tasks.tasks = {{1, 0, 11, 100},   {2, 0, 12, 100},   {7, 0, 17, 200},
                 {20, 0, 120, 200}, {45, 0, 145, 300}, {46, 0, 146, 300},
                 {50, 0, 150, 0},   {51, 0, 151, 600}, {52, 0, 152, 700}};
  const Discovery walked = Run(dirs);
  const procfs::Root root(proc_.root(), "/sys");
  const Discovery listed = Discover(root, dirs, nullptr, &tasks);
  EXPECT_EQ(Describe(listed), Describe(walked));
  EXPECT_EQ(tasks.readlinks, 6u);  // 7, 20, 45, 46, 51, 52: not the own nor the exiting 50

  // Nothing changed: no readlink at all, the same answer.
  EXPECT_EQ(Describe(Discover(root, dirs, nullptr, &tasks)), Describe(walked));
  EXPECT_EQ(tasks.readlinks, 0u);

  // 7 was replaced by a process of another start time, and 20 changed its euid: both are
  // read again; 7 now says it is in 800 although the list said 200 (the readlink wins).
  fs::remove(proc_.root() + "/7/ns/net");
  Link(proc_, "7/ns/net", "net:[800]");
  tasks.tasks[2].start = 99;
  tasks.tasks[3].euid = 1000;
  const Discovery changed = Discover(root, dirs, nullptr, &tasks);
  EXPECT_EQ(tasks.readlinks, 2u);
  ASSERT_GE(changed.foreign.size(), 1u);
  EXPECT_EQ(Describe(changed.foreign[0]), "200 name= pid=20 path=" + proc_.root() + "/20/ns/net");
  EXPECT_EQ(Describe(changed.foreign.back()), "800 name= pid=7 path=" + proc_.root() + "/7/ns/net");

  // A process gone from the list is gone from the answer, without a readlink.
  tasks.tasks.erase(tasks.tasks.begin() + 7);  // 51, the only process in 600 ("aaa")
  const Discovery gone = Discover(root, dirs, nullptr, &tasks);
  EXPECT_EQ(tasks.readlinks, 0u);
  for (const NamespaceRef& ns : gone.foreign) {
    if (ns.inode == 600) {
      EXPECT_EQ(ns.pid, 0);
    }
  }
}

TEST(NetnsDiscovery, MissingProcfsIsAnError) {
  const Discovery d = Discover(procfs::Root("/nonexistent/proc", "/sys"), {});
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_EQ(d.errors[0], "procfs /nonexistent/proc: No such file or directory");
  EXPECT_TRUE(d.foreign.empty());
  EXPECT_NE(d.own_inode, 0u);
}

}  // namespace
}  // namespace netstat::netns
