// Against the real kernel (root only): a namespace made by `ip netns add`, one made by a
// child's unshare(CLONE_NEWNET), a netlink socket opened inside one, the errors, and the
// cost of Discover on this host.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "readers/netns/discovery.h"
#include "readers/netns/netlink_socket_in.h"
#include "readers/procfs/root.h"
#include "tests/unit/proctable_test_tree.h"
#include "tests/unit/unshared_child.h"

namespace netstat::netns {
namespace {

const procfs::Root kLive("/proc", "/sys");

#if defined(__x86_64__)
constexpr uint32_t kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kAuditArch = AUDIT_ARCH_AARCH64;
#else
constexpr uint32_t kAuditArch = 0;  // the seccomp test skips
#endif

// `ip netns add NAME` for the life of the object, deleted even when an assertion fails.
class NamedNamespace {
 public:
  NamedNamespace() : name_("netstat_unit_" + std::to_string(::getpid())) {
    ok_ = std::system(("ip netns add " + name_).c_str()) == 0;
  }
  ~NamedNamespace() { std::system(("ip netns delete " + name_ + " 2>/dev/null").c_str()); }
  NamedNamespace(const NamedNamespace&) = delete;
  NamedNamespace& operator=(const NamedNamespace&) = delete;
  bool ok() const { return ok_; }
  const std::string& name() const { return name_; }
  std::string path() const { return "/run/netns/" + name_; }

 private:
  std::string name_;
  bool ok_ = false;
};

using netstat::testing::UnsharedChild;

uint64_t LinkInode(const std::string& path) {
  char buf[64];
  const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n > 0 ? ParseNamespaceLink(std::string_view(buf, static_cast<size_t>(n))) : 0;
}

const NamespaceRef* Find(const Discovery& d, uint64_t inode) {
  for (const NamespaceRef& ns : d.foreign) {
    if (ns.inode == inode) return &ns;
  }
  return nullptr;
}

// Names of the links an RTM_GETLINK dump on `fd` returns.
std::vector<std::string> DumpLinkNames(int fd) {
  struct {
    nlmsghdr header;
    ifinfomsg body;
  } request{};
  request.header.nlmsg_len = sizeof request;
  request.header.nlmsg_type = RTM_GETLINK;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.header.nlmsg_seq = 1;
  request.body.ifi_family = AF_UNSPEC;
  EXPECT_EQ(::send(fd, &request, sizeof request, 0), static_cast<ssize_t>(sizeof request));
  std::vector<std::string> names;
  alignas(nlmsghdr) char buf[32768];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ADD_FAILURE() << "recv: " << n;
      return names;
    }
    auto len = static_cast<unsigned int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_DONE) return names;
      if (h->nlmsg_type == NLMSG_ERROR) {
        ADD_FAILURE() << "netlink error";
        return names;
      }
      if (h->nlmsg_type != RTM_NEWLINK) continue;
      int attr_len = static_cast<int>(IFLA_PAYLOAD(h));
      for (auto* a = IFLA_RTA(static_cast<ifinfomsg*>(NLMSG_DATA(h))); RTA_OK(a, attr_len);
           a = RTA_NEXT(a, attr_len)) {
        if (a->rta_type == IFLA_IFNAME) names.emplace_back(static_cast<const char*>(RTA_DATA(a)));
      }
    }
  }
}

class NetnsKernel : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  }
};

TEST_F(NetnsKernel, FindsNamedAndProcessNamespaces) {
  NamedNamespace named;
  ASSERT_TRUE(named.ok());
  UnsharedChild child;
  ASSERT_TRUE(child.ready());
  const uint64_t child_inode = LinkInode("/proc/" + std::to_string(child.pid()) + "/ns/net");
  ASSERT_NE(child_inode, 0u);

  const Discovery d = Discover(kLive, {"/run/netns", "/run/docker/netns"});
  EXPECT_TRUE(d.errors.empty()) << d.errors.front();
  EXPECT_EQ(d.own_inode, LinkInode("/proc/self/ns/net"));

  struct stat st {};
  ASSERT_EQ(::stat(named.path().c_str(), &st), 0);
  const NamespaceRef* by_name = Find(d, st.st_ino);
  ASSERT_NE(by_name, nullptr);
  EXPECT_EQ(by_name->name, named.name());
  EXPECT_EQ(by_name->pid, 0);
  EXPECT_EQ(by_name->path, named.path());
  EXPECT_EQ(Label(*by_name), named.name());

  const NamespaceRef* by_pid = Find(d, child_inode);
  ASSERT_NE(by_pid, nullptr);
  EXPECT_EQ(by_pid->name, "");
  EXPECT_EQ(by_pid->pid, child.pid());
  EXPECT_EQ(by_pid->path, "/proc/" + std::to_string(child.pid()) + "/ns/net");
  EXPECT_EQ(Find(d, d.own_inode), nullptr);
}

// Real nsfs bind mounts in a dir of our own: a network namespace counts under its file
// name; a bind mount of another namespace type and a plain file do not.
TEST_F(NetnsKernel, RealBindMountsOfOtherTypesAreSkipped) {
  UnsharedChild child;
  ASSERT_TRUE(child.ready());
  const std::string child_ns = "/proc/" + std::to_string(child.pid()) + "/ns/net";
  netstat::testing::ProcTree dir;
  std::vector<std::string> mounted;
  struct Unmount {
    std::vector<std::string>* targets;
    ~Unmount() {
      for (const std::string& t : *targets) ::umount2(t.c_str(), MNT_DETACH);
    }
  } unmount{&mounted};
  for (const auto& [name, source] :
       {std::pair<std::string, std::string>{"net", child_ns}, {"uts", "/proc/self/ns/uts"}}) {
    const std::string target = dir.root() + "/" + name;
    dir.Write(name, "");
    ASSERT_EQ(::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr), 0)
        << name << ": " << std::strerror(errno);
    mounted.push_back(target);
  }
  dir.Write("plain", "");

  const Discovery d = Discover(kLive, {dir.root()});
  EXPECT_TRUE(d.errors.empty()) << d.errors.front();
  const NamespaceRef* net = Find(d, LinkInode(child_ns));
  ASSERT_NE(net, nullptr);
  EXPECT_EQ(net->name, "net");
  EXPECT_EQ(net->pid, child.pid());
  EXPECT_EQ(net->path, dir.root() + "/net");
  struct stat uts {};
  ASSERT_EQ(::stat("/proc/self/ns/uts", &uts), 0);
  EXPECT_EQ(Find(d, uts.st_ino), nullptr);
  for (const NamespaceRef& ns : d.foreign) EXPECT_NE(ns.name, "plain");
}

// With a memo, an entry that stats as before is taken from it; one mounted over with
// another namespace (or another type) is looked at afresh.
TEST_F(NetnsKernel, BindMountMemoFollowsRemounts) {
  UnsharedChild child;
  ASSERT_TRUE(child.ready());
  const std::string child_ns = "/proc/" + std::to_string(child.pid()) + "/ns/net";
  netstat::testing::ProcTree dir;
  const std::string target = dir.root() + "/a";
  dir.Write("a", "");
  dir.Write("plain", "");
  const auto mount = [&](const std::string& source) {
    ASSERT_EQ(::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr), 0)
        << source << ": " << std::strerror(errno);
  };
  struct Unmount {
    std::string target;
    ~Unmount() { ::umount2(target.c_str(), MNT_DETACH); }
  } unmount{target};
  const auto named_a = [&](const Discovery& d) -> uint64_t {
    for (const NamespaceRef& ns : d.foreign) {
      EXPECT_NE(ns.name, "plain");
      if (ns.name == "a") return ns.inode;
    }
    return 0;
  };
  BindMountMemo memo;
  mount(child_ns);
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(named_a(Discover(kLive, {dir.root()}, &memo)), LinkInode(child_ns)) << round;
  }
  ASSERT_EQ(::umount2(target.c_str(), MNT_DETACH), 0);
  mount("/proc/self/ns/uts");
  EXPECT_EQ(named_a(Discover(kLive, {dir.root()}, &memo)), 0u);
  ASSERT_EQ(::umount2(target.c_str(), MNT_DETACH), 0);
  EXPECT_EQ(named_a(Discover(kLive, {dir.root()}, &memo)), 0u);  // the plain file again
  mount(child_ns);
  EXPECT_EQ(named_a(Discover(kLive, {dir.root()}, &memo)), LinkInode(child_ns));
}

TEST_F(NetnsKernel, NetlinkSocketSeesOnlyThatNamespace) {
  NamedNamespace named;
  ASSERT_TRUE(named.ok());
  UnsharedChild child;
  ASSERT_TRUE(child.ready());
  const uint64_t before = LinkInode("/proc/thread-self/ns/net");
  for (const std::string& path :
       {named.path(), "/proc/" + std::to_string(child.pid()) + "/ns/net"}) {
    SCOPED_TRACE(path);
    std::string error = "stale";
    int error_number = -1;
    const int fd = OpenNetlinkSocketIn(path, NETLINK_ROUTE, &error, &error_number);
    ASSERT_GE(fd, 0) << error;
    EXPECT_EQ(error, "");
    EXPECT_EQ(error_number, 0);
    EXPECT_EQ(::fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    // A fresh namespace holds only its loopback; this host's own has more.
    EXPECT_EQ(DumpLinkNames(fd), std::vector<std::string>{"lo"});
    ::close(fd);
  }
  EXPECT_EQ(LinkInode("/proc/thread-self/ns/net"), before);
  EXPECT_EQ(LinkInode("/proc/self/ns/net"), before);
}

TEST_F(NetnsKernel, Errors) {
  std::string error;
  int error_number = 0;
  const std::string gone = "/run/netns/netstat_unit_no_such_namespace";
  EXPECT_EQ(OpenNetlinkSocketIn(gone, NETLINK_ROUTE, &error, &error_number), -1);
  EXPECT_EQ(error_number, ENOENT);
  EXPECT_EQ(error, "network namespace " + gone + " is gone (No such file or directory)");

  EXPECT_EQ(OpenNetlinkSocketIn("/proc/self/ns/uts", NETLINK_ROUTE, &error, &error_number), -1);
  EXPECT_EQ(error_number, EINVAL);
  EXPECT_EQ(error, "/proc/self/ns/uts is not a network namespace (Invalid argument)");

  // Null out-params are allowed.
  EXPECT_EQ(OpenNetlinkSocketIn(gone, NETLINK_ROUTE, nullptr, nullptr), -1);
}

// Capabilities are per thread and a new thread inherits its creator's: a caller thread
// without CAP_SYS_ADMIN in its effective set makes setns fail with EPERM.
TEST_F(NetnsKernel, WithoutCapSysAdminSetnsIsRefused) {
  NamedNamespace named;
  ASSERT_TRUE(named.ok());
  int fd = 0;
  int error_number = 0;
  std::string error;
  std::thread caller([&] {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &header, data) != 0) return;
    data[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
    if (::syscall(SYS_capset, &header, data) != 0) return;
    fd = OpenNetlinkSocketIn(named.path(), NETLINK_ROUTE, &error, &error_number);
  });
  caller.join();
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(error_number, EPERM);
  EXPECT_EQ(error, "cannot enter network namespace " + named.path() +
                       ": Operation not permitted (CAP_SYS_ADMIN is missing)");
}

// With the capability held, EPERM comes from a seccomp filter (systemd's RestrictNamespaces=
// installs one): the error must not blame the capability. A filter, like capabilities, is
// inherited by threads created after it.
TEST_F(NetnsKernel, SeccompRefusalIsNotBlamedOnTheCapability) {
  if (kAuditArch == 0) GTEST_SKIP() << "no audit arch for this target";
  NamedNamespace named;
  ASSERT_TRUE(named.ok());
  int fd = 0;
  int error_number = 0;
  std::string error;
  bool installed = false;
  std::thread caller([&] {
    sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_setns, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{static_cast<unsigned short>(sizeof code / sizeof code[0]), code};
    // Without TSYNC the filter binds this thread (and its future children) only.
    installed = ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
    if (installed) fd = OpenNetlinkSocketIn(named.path(), NETLINK_ROUTE, &error, &error_number);
  });
  caller.join();
  ASSERT_TRUE(installed);
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(error_number, EPERM);
  EXPECT_EQ(error, "cannot enter network namespace " + named.path() +
                       ": Operation not permitted (CAP_SYS_ADMIN is held: a seccomp filter such "
                       "as systemd's RestrictNamespaces= or an LSM forbids setns)");
}

// Not a pass/fail bound (the host varies): prints what one Discover costs here, without
// and with the bind-mount memo that the exporter keeps across scrapes.
TEST_F(NetnsKernel, DiscoverCost) {
  const std::vector<std::string> dirs = {"/run/netns", "/run/docker/netns"};
  size_t pids = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    pids += name.find_first_not_of("0123456789") == std::string::npos;
  }
  BindMountMemo memo;
  for (BindMountMemo* m : {static_cast<BindMountMemo*>(nullptr), &memo}) {
    std::vector<double> micros;
    size_t namespaces = 0;
    for (int i = 0; i < 300; ++i) {
      const auto start = std::chrono::steady_clock::now();
      const Discovery d = Discover(kLive, dirs, m);
      micros.push_back(
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
              .count());
      namespaces = d.foreign.size();
    }
    std::sort(micros.begin(), micros.end());
    std::printf("Discover%s: median %.0f us, p90 %.0f us (%zu pids, %zu foreign namespaces)\n",
                m ? " with the memo" : "", micros[micros.size() / 2],
                micros[micros.size() * 9 / 10], pids, namespaces);
    EXPECT_LT(micros[micros.size() / 2], 1e6);
  }
}

}  // namespace
}  // namespace netstat::netns
