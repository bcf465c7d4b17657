// The BPF task list (readers/netns/task_netns.h) against the live kernel (root, kernel
// BTF; skipped where the program may not load): it holds this process and a child that
// unshared its network namespace, each with the namespace /proc/PID/ns/net names, and
// Discover given it finds what its readdir of /proc finds.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "readers/netns/discovery.h"
#include "readers/netns/task_netns.h"
#include "readers/procfs/root.h"
#include "tests/unit/bpf_expected.h"
#include "tests/unit/unshared_child.h"

namespace netstat::netns {
namespace {

using netstat::testing::UnsharedChild;

uint64_t LinkInode(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

const TaskNetns* FindPid(const std::vector<TaskNetns>& tasks, int32_t pid) {
  auto it =
      std::find_if(tasks.begin(), tasks.end(), [pid](const TaskNetns& t) { return t.pid == pid; });
  return it == tasks.end() ? nullptr : &*it;
}

TEST(NetnsTasks, ListsEveryProcessWithItsNamespace) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  std::string error;
  if (!TaskNamespaces::Shared(&error)) NETSTAT_SKIP_OR_FAIL_BPF("the BPF task list: " + error);
  UnsharedChild child;
  ASSERT_TRUE(child.ready());
  const uint64_t child_ns = LinkInode(child.ns());

  const procfs::Root live("/proc", "/sys");
  std::vector<TaskNetns> tasks;
  const bool read = ReadTasks(procfs::InspectSite(live).self_pid, &tasks, &error);
  const Discovery walked = Discover(live, {});
  TaskMemo memo;
  memo.tasks = tasks;
  const Discovery listed = Discover(live, {}, nullptr, &memo);
  const pid_t pid = child.pid();
  child.Kill();

  ASSERT_TRUE(read) << error;
  EXPECT_TRUE(std::is_sorted(tasks.begin(), tasks.end(),
                             [](const TaskNetns& a, const TaskNetns& b) { return a.pid < b.pid; }));
  const TaskNetns* self = FindPid(tasks, ::getpid());
  ASSERT_NE(self, nullptr);
  EXPECT_EQ(self->namespace_, LinkInode("/proc/self/ns/net"));
  EXPECT_EQ(self->euid, ::geteuid());
  const TaskNetns* in_child = FindPid(tasks, pid);
  ASSERT_NE(in_child, nullptr);
  EXPECT_EQ(in_child->namespace_, child_ns);
  EXPECT_NE(in_child->namespace_, self->namespace_);
  // Threads are not listed: gtest's process has one at least, its own.
  EXPECT_EQ(std::count_if(tasks.begin(), tasks.end(),
                          [](const TaskNetns& t) { return t.pid == ::getpid(); }),
            1);

  // The child's namespace is found both ways, with the child as its lowest pid.
  auto find = [child_ns](const Discovery& d) -> int32_t {
    for (const NamespaceRef& ns : d.foreign) {
      if (ns.inode == child_ns) return ns.pid;
    }
    return -1;
  };
  EXPECT_EQ(find(walked), pid);
  EXPECT_EQ(find(listed), pid);
  EXPECT_EQ(listed.own_inode, walked.own_inode);
}

TEST(NetnsTasks, AProcfsOfAnotherPidNamespaceIsRefused) {
  std::vector<TaskNetns> tasks;
  std::string why;
  EXPECT_FALSE(ReadTasks(0, &tasks, &why));
  EXPECT_EQ(why, "the procfs is not this system's pid namespace's (no self in it)");
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for the rest";
  std::string error;
  if (!TaskNamespaces::Shared(&error)) NETSTAT_SKIP_OR_FAIL_BPF("the BPF task list: " + error);
  EXPECT_FALSE(ReadTasks(::getpid() + 1, &tasks, &why));
  EXPECT_NE(why.find("not in the initial pid namespace"), std::string::npos) << why;
}

}  // namespace
}  // namespace netstat::netns
