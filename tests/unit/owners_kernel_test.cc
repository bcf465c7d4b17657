// The real BPF owner walk (socket_fds.bpf.c; root and kernel BTF, skipped where it
// cannot load) against /proc/PID/fd of known processes: this test and children holding
// sockets of their own and one inherited from it; and its users (process_sockets'
// SocketOwners, the listeners' OwnerResolver) on the BPF path against the /proc walk.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "collectors/process_sockets/socket_owners.h"
#include "readers/owners/owner_walk.h"
#include "readers/proctable/owner_resolver.h"
#include "readers/proctable/proc_parsers.h"
#include "tests/unit/bpf_expected.h"

namespace netstat::owners {
namespace {

using Triple = std::tuple<int32_t, int32_t, uint64_t>;

// (pid, fd, inode) of the socket fds /proc/PID/fd lists, by readlink.
std::set<Triple> ProcSockets(int32_t pid) {
  std::set<Triple> out;
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (const dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    char link[64];
    const ssize_t n = readlink((dir + "/" + e->d_name).c_str(), link, sizeof link);
    if (n <= 0) continue;
    if (auto inode = proctable::ParseSocketLink(std::string_view(link, static_cast<size_t>(n)))) {
      out.emplace(pid, std::stoi(e->d_name), *inode);
    }
  }
  closedir(d);
  return out;
}

uint64_t InodeOf(int fd) {
  struct stat s {};
  return fstat(fd, &s) == 0 ? s.st_ino : 0;
}

// `n` UDP sockets of this process, and their inodes.
void Sockets(int n, std::vector<int>* fds, std::vector<uint64_t>* inodes) {
  for (int i = 0; i < n; ++i) {
    fds->push_back(socket(AF_INET, SOCK_DGRAM, 0));
    inodes->push_back(InodeOf(fds->back()));
  }
}

// Children that each open `sockets` sockets of their own (with the parent's, inherited),
// say so on a pipe and wait until the parent closes another.
class Children {
 public:
  Children(int count, int sockets) {
    int ready[2], release[2];
    if (pipe(ready) != 0 || pipe(release) != 0) return;
    for (int i = 0; i < count; ++i) {
      const pid_t pid = fork();
      if (pid == 0) {
        close(ready[0]);
        close(release[1]);
        for (int j = 0; j < sockets; ++j) socket(j % 2 ? AF_INET6 : AF_UNIX, SOCK_DGRAM, 0);
        char c = 'r';
        (void)!write(ready[1], &c, 1);
        (void)!read(release[0], &c, 1);  // EOF when the parent lets go
        _exit(0);
      }
      if (pid > 0) pids_.push_back(pid);
    }
    close(ready[1]);
    close(release[0]);
    release_ = release[1];
    char c;
    for (size_t i = 0; i < pids_.size(); ++i) (void)!read(ready[0], &c, 1);
    close(ready[0]);
  }
  ~Children() {
    close(release_);
    for (pid_t pid : pids_) waitpid(pid, nullptr, 0);
  }
  const std::vector<pid_t>& pids() const { return pids_; }

 private:
  std::vector<pid_t> pids_;
  int release_ = -1;
};

class OwnerWalkKernel : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    walker_ = OwnerWalk::Shared(&error);
    if (!walker_) NETSTAT_SKIP_OR_FAIL_BPF("the BPF owner walk: " + error);
  }
  std::shared_ptr<OwnerWalk> walker_;
};

TEST_F(OwnerWalkKernel, MatchesProcFdOfKnownProcesses) {
  // A listener the children inherit: the lowest pid, this test, owns it.
  const int shared = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(shared, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(shared, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(shared, 4), 0);
  const uint64_t shared_inode = InodeOf(shared);
  Children children(3, 5);
  ASSERT_EQ(children.pids().size(), 3u);

  HostWalk walk;
  std::string error;
  ASSERT_TRUE(walker_->Read(&walk, &error, true)) << error;
  EXPECT_EQ(walk.reader_pid, getpid());
  EXPECT_TRUE(std::is_sorted(walk.fds.begin(), walk.fds.end(), [](auto& x, auto& y) {
    return std::tie(x.pid, x.fd) < std::tie(y.pid, y.fd);
  }));

  std::vector<int32_t> pids{getpid()};
  pids.insert(pids.end(), children.pids().begin(), children.pids().end());
  for (int32_t pid : pids) {
    std::set<Triple> bpf;
    for (const SocketFd& s : walk.fds) {
      if (s.pid == pid) bpf.emplace(s.pid, s.fd, s.inode);
    }
    const std::set<Triple> proc = ProcSockets(pid);
    EXPECT_EQ(bpf, proc) << "pid " << pid;
    EXPECT_GE(proc.size(), pid == getpid() ? 1u : 6u);
  }
  const auto owners = LowestPidOwners(walk.fds);
  ASSERT_TRUE(owners.count(shared_inode));
  EXPECT_EQ(owners.at(shared_inode).pid, getpid());
  EXPECT_EQ(owners.at(shared_inode).fd, shared);
  const SocketKind k = owners.at(shared_inode).kind;  // asked for above
  EXPECT_EQ(k.family, AF_INET);
  EXPECT_EQ(k.protocol, IPPROTO_TCP);
  EXPECT_EQ(k.state, 10);  // TCP_LISTEN
  struct stat ns {};
  ASSERT_EQ(stat("/proc/self/ns/net", &ns), 0);
  EXPECT_EQ(k.netns, ns.st_ino);

  // This process as /proc/self/stat has it.
  std::ifstream stat_file("/proc/self/stat");
  std::stringstream text;
  text << stat_file.rdbuf();
  const auto stat = proctable::ParseStat(text.str());
  ASSERT_TRUE(stat);
  auto self = std::find_if(walk.processes.begin(), walk.processes.end(),
                           [](const ProcessSeen& p) { return p.pid == getpid(); });
  ASSERT_NE(self, walk.processes.end());
  EXPECT_EQ(self->comm, stat->comm);
  EXPECT_EQ(StartTicks(self->start_boottime_ns, sysconf(_SC_CLK_TCK)), stat->starttime);
  close(shared);
}

TEST_F(OwnerWalkKernel, HostWalkChecksThePidNamespace) {
  std::string why;
  auto walk = ReadHostWalk(getpid(), &why);
  EXPECT_NE(walk, nullptr) << why;
  EXPECT_EQ(LatestHostWalk(std::chrono::steady_clock::now() - std::chrono::seconds(5)), walk);
  EXPECT_EQ(LatestHostWalk(std::chrono::steady_clock::now() + std::chrono::seconds(5)), nullptr);
  walk.reset();  // only a weak reference is kept
  EXPECT_EQ(LatestHostWalk(std::chrono::steady_clock::now() - std::chrono::seconds(5)), nullptr);
  EXPECT_EQ(ReadHostWalk(0, &why), nullptr);
  EXPECT_EQ(ReadHostWalk(getpid() + 1, &why), nullptr);
  EXPECT_NE(why.find("initial pid namespace"), std::string::npos) << why;
}

// process_sockets' owners: the same owners and groups by either walk.
TEST_F(OwnerWalkKernel, SocketOwnersAgreeOnBothPaths) {
  const int mine = socket(AF_UNIX, SOCK_STREAM, 0);
  Children children(2, 3);
  process_sockets::SocketOwners bpf("/proc", true, true, true, getpid());
  process_sockets::SocketOwners proc("/proc", true, true, true, 0);
  bpf.Walk();
  proc.Walk();
  ASSERT_TRUE(bpf.used_bpf());
  ASSERT_FALSE(proc.used_bpf());
  for (int32_t pid : {static_cast<pid_t>(getpid()), children.pids()[0], children.pids()[1]}) {
    for (const auto& [p, fd, inode] : ProcSockets(pid)) {
      const uint32_t a = bpf.OwnerOf(inode), b = proc.OwnerOf(inode);
      ASSERT_NE(a, process_sockets::InodeMap::kNone) << inode;
      ASSERT_NE(b, process_sockets::InodeMap::kNone) << inode;
      EXPECT_EQ(bpf.groups()[bpf.GroupOf(a)], proc.groups()[proc.GroupOf(b)]) << inode;
      EXPECT_TRUE(bpf.StillAlive(a));
    }
  }
  // The inherited socket is the parent's on both.
  const uint32_t owner = bpf.OwnerOf(InodeOf(mine));
  EXPECT_EQ(bpf.groups()[bpf.GroupOf(owner)].pid, getpid());
  close(mine);
}

// The listeners' resolver: the same owner (pid, fd) by either walk.
TEST_F(OwnerWalkKernel, ResolverAgreesOnBothPaths) {
  const int a = socket(AF_INET, SOCK_DGRAM, 0);
  const int b = dup(a);
  Children children(1, 1);
  proctable::ProcessTable table_bpf("/proc", false, false), table_proc("/proc", false, false);
  proctable::OwnerResolver bpf("/proc", &table_bpf), proc("/proc", &table_proc);
  bpf.UseBpfWalk(getpid());
  table_bpf.BeginScrape();
  table_proc.BeginScrape();
  std::unordered_map<uint64_t, proctable::Owner> by_bpf, by_proc;
  const std::vector<uint64_t> inodes{InodeOf(a)};
  bpf.Resolve(inodes, &by_bpf);
  proc.Resolve(inodes, &by_proc);
  EXPECT_TRUE(bpf.stats().bpf);
  EXPECT_FALSE(proc.stats().bpf);
  ASSERT_EQ(by_bpf.size(), 1u);
  EXPECT_EQ(by_bpf.at(inodes[0]).pid, getpid());
  EXPECT_EQ(by_bpf.at(inodes[0]).fd, std::min(a, b));
  EXPECT_EQ(by_bpf.at(inodes[0]).pid, by_proc.at(inodes[0]).pid);
  EXPECT_EQ(by_bpf.at(inodes[0]).fd, by_proc.at(inodes[0]).fd);
  EXPECT_EQ(by_bpf.at(inodes[0]).starttime, by_proc.at(inodes[0]).starttime);
  close(a);
  close(b);
}

// A walk of this collection (process_sockets') serves the resolver when it knows the
// inodes; an inode opened since makes a new one.
TEST_F(OwnerWalkKernel, ResolverReusesTheCollectionsWalk) {
  const auto since = std::chrono::steady_clock::now();
  const int a = socket(AF_INET6, SOCK_DGRAM, 0);
  std::string why;
  auto walk = ReadHostWalk(getpid(), &why);
  ASSERT_NE(walk, nullptr) << why;
  proctable::ProcessTable table("/proc", false, false);
  proctable::OwnerResolver resolver("/proc", &table);
  resolver.UseBpfWalk(getpid());
  table.BeginScrape();
  std::unordered_map<uint64_t, proctable::Owner> owners;
  resolver.Resolve({InodeOf(a)}, &owners, since);
  EXPECT_TRUE(resolver.stats().reused);
  ASSERT_EQ(owners.size(), 1u);
  EXPECT_EQ(owners.begin()->second.fd, a);
  const int b = socket(AF_INET6, SOCK_DGRAM, 0);  // not in the walk
  table.BeginScrape();
  owners.clear();
  resolver.Resolve({InodeOf(a), InodeOf(b)}, &owners, since);
  EXPECT_TRUE(resolver.stats().bpf);
  EXPECT_FALSE(resolver.stats().reused);
  EXPECT_EQ(owners.size(), 2u);
  close(a);
  close(b);
}

// Where the BPF walk cost less than the checks of the cached owners did, it replaces
// them, with the same owners, and its task records spare the process table its stat
// reads; where it cost more, the checks come back.
TEST_F(OwnerWalkKernel, ResolverWalksInsteadOfChecksWhenCheaper) {
  std::vector<int> fds;
  std::vector<uint64_t> inodes;
  Sockets(3, &fds, &inodes);
  proctable::ProcessTable table("/proc", false, false);
  proctable::OwnerResolver resolver("/proc", &table);
  resolver.UseBpfWalk(getpid());
  auto scrape = [&] {
    table.BeginScrape();
    std::unordered_map<uint64_t, proctable::Owner> owners;
    resolver.Resolve(inodes, &owners);
    return owners;
  };
  const auto first = scrape();  // nothing cached: a walk
  EXPECT_TRUE(resolver.stats().bpf);
  EXPECT_EQ(scrape(), first);  // cached: checked one by one
  EXPECT_EQ(resolver.stats().verified, 3u);
  EXPECT_FALSE(resolver.stats().walked);

  resolver.set_costs(1, 1e9);
  const uint64_t reads = table.stat_reads();
  EXPECT_EQ(scrape(), first);
  EXPECT_TRUE(resolver.stats().instead_of_checks);
  EXPECT_TRUE(resolver.stats().bpf);
  EXPECT_EQ(resolver.stats().verified, 0u);
  EXPECT_EQ(table.stat_reads(), reads);

  resolver.set_costs(1e9, 1);
  EXPECT_EQ(scrape(), first);
  EXPECT_FALSE(resolver.stats().instead_of_checks);
  EXPECT_EQ(resolver.stats().verified, 3u);
  for (int fd : fds) close(fd);
}

// With held files (a live procfs), cached owners are checked through a held /proc/PID/fd
// directory, and an fd closed since is noticed.
TEST_F(OwnerWalkKernel, ResolverChecksThroughHeldDirectories) {
  std::vector<int> fds;
  std::vector<uint64_t> inodes;
  Sockets(3, &fds, &inodes);
  proctable::ProcessTable table("/proc", false, false);
  table.HoldFiles();
  proctable::OwnerResolver resolver("/proc", &table);
  auto scrape = [&] {
    table.BeginScrape();
    std::unordered_map<uint64_t, proctable::Owner> owners;
    resolver.Resolve(inodes, &owners);
    return owners;
  };
  EXPECT_EQ(scrape().size(), 3u);  // the /proc walk
  EXPECT_EQ(scrape().size(), 3u);
  EXPECT_EQ(resolver.stats().verified, 3u);
  const uint64_t reads = table.stat_reads();
  EXPECT_EQ(scrape().size(), 3u);
  EXPECT_EQ(resolver.stats().verified, 3u);
  EXPECT_EQ(table.stat_reads(), reads);  // known from the held comm file
  close(fds[1]);
  const auto owners = scrape();
  EXPECT_TRUE(resolver.stats().walked);
  EXPECT_EQ(owners.size(), 2u);
  EXPECT_EQ(owners.count(inodes[1]), 0u);
  close(fds[0]);
  close(fds[2]);
}

}  // namespace
}  // namespace netstat::owners
