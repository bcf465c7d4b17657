#include "daemon/privileges.h"

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace netstat::daemon {
namespace {

constexpr uint64_t kOwners = (uint64_t{1} << CAP_DAC_READ_SEARCH) | (uint64_t{1} << CAP_SYS_PTRACE);

TEST(PrivilegesTest, ListenersNeedTheOwnerCapabilities) {
  EXPECT_EQ(NeededCapabilities({"sockets", "listeners", "snmp"}), kOwners);
  EXPECT_EQ(NeededCapabilities({"sockets", "interfaces", "routes", "multicast", "snmp"}), 0u);
  EXPECT_EQ(NeededCapabilities({}), 0u);
  // namespaces.mode all: setns (SYS_ADMIN) and other users' ns/net links, for the
  // collectors that read every namespace only (snmp: each one's /proc/PID/net/snmp).
  const uint64_t kAll = kOwners | (uint64_t{1} << CAP_SYS_ADMIN);
  EXPECT_EQ(NeededCapabilities({"sockets"}, true), kAll);
  EXPECT_EQ(NeededCapabilities({"listeners", "routes"}, true), kAll);
  EXPECT_EQ(NeededCapabilities({"routes", "snmp"}, true), kAll);
  EXPECT_EQ(NeededCapabilities({"routes", "interfaces"}, true), 0u);
}

TEST(PrivilegesTest, NamesCapabilitiesAsTheKernelDoes) {
  EXPECT_EQ(CapabilityNames(kOwners), "cap_dac_read_search,cap_sys_ptrace");
  EXPECT_EQ(CapabilityNames(0), "none");
  EXPECT_EQ(CapabilityNames(uint64_t{1} << 63), "cap_63");
}

// The sets of one thread, from /proc/self/task/TID/status: "CapEff" -> mask.
uint64_t ThreadSet(pid_t tid, const std::string& key) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) == 0) return std::stoull(line.substr(key.size() + 1), nullptr, 16);
  }
  return ~uint64_t{0};
}

// In a child process (the drop cannot be undone): threads started before the drop lose
// their capabilities too, not only the calling thread, and none of them can exec.
TEST(PrivilegesTest, DropReachesThreadsStartedBefore) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::atomic<bool> stop{false};
    std::atomic<pid_t> worker_tid{0};
    std::thread worker([&] {
      worker_tid = static_cast<pid_t>(gettid());
      while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
    while (worker_tid == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const bool dropped = DropUnneededCapabilities({"listeners", "sockets"}).empty();
    int code = dropped ? 0 : 1;
    for (const pid_t tid : {static_cast<pid_t>(gettid()), worker_tid.load()}) {
      for (const char* key : {"CapEff", "CapPrm", "CapInh", "CapAmb", "CapBnd"}) {
        if (ThreadSet(tid, key) & ~kOwners) code = 2;
      }
      if (ThreadSet(tid, "NoNewPrivs") != 1) code = 3;
      if (ThreadSet(tid, "Seccomp") != 2) code = 4;
    }
    // The exec filter: the worker cannot run a program (if it could, the child exits 9).
    int exec_errno = 0;
    std::thread([&] {
      char sh[] = "/bin/sh", c[] = "-c", body[] = "exit 9";
      char* argv[] = {sh, c, body, nullptr};
      execv(sh, argv);
      exec_errno = errno;
    }).join();
    if (exec_errno != EPERM) code = 5;
    stop = true;
    worker.join();
    _exit(code);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: drop failed, 2: a set kept more, 3: no no_new_privs, "
                                       "4: no seccomp filter, 5: exec not denied, 9: exec ran";
}

}  // namespace
}  // namespace netstat::daemon
