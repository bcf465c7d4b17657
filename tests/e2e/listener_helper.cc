// netstat_e2e_listener: opens the listeners an end-to-end test asks for, prints
// "ready PID", then waits for SIGTERM. Its name is longer than 15 characters on purpose:
// the kernel cuts comm to "netstat_e2e_lis" and the exporter must restore it.
//   netstat_e2e_listener [--fork=N] SPEC...
//   SPEC  tcp,ADDR,PORT,BACKLOG,PENDING[,OPT...]  listen, then leave PENDING connections
//                                                unaccepted
//         udp,ADDR,PORT[,OPT...]                 bind only (a UDP listener)
//         udpc,ADDR,PORT                         bind and connect to ADDR:9 (not a listener)
//   ADDR  an IPv4 or IPv6 address; fe80::1%v0 gives a link-local address its scope
//   OPT   dev=NAME     SO_BINDTODEVICE before bind
//         reuseport=N  N sockets share the address with SO_REUSEPORT (PENDING connections
//                      go to the group; the kernel picks the socket)
// --fork=N: N children share every socket (a pre-fork server). SIGUSR1: fork a child that
// keeps the sockets, print "handoff CHILD_PID", and exit (the owner changes, the inode not).
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

namespace {

volatile sig_atomic_t g_handoff = 0;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "netstat_e2e_listener: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

socklen_t MakeAddress(const std::string& addr, int port, sockaddr_storage* ss) {
  std::memset(ss, 0, sizeof *ss);
  auto* v4 = reinterpret_cast<sockaddr_in*>(ss);
  if (inet_pton(AF_INET, addr.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    return sizeof(sockaddr_in);
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(ss);
  const size_t percent = addr.find('%');
  if (inet_pton(AF_INET6, addr.substr(0, percent).c_str(), &v6->sin6_addr) != 1) {
    Die("bad address " + addr);
  }
  if (percent != std::string::npos) {
    v6->sin6_scope_id = if_nametoindex(addr.substr(percent + 1).c_str());
    if (v6->sin6_scope_id == 0) Die("no device in " + addr);
  }
  v6->sin6_family = AF_INET6;
  v6->sin6_port = htons(static_cast<uint16_t>(port));
  return sizeof(sockaddr_in6);
}

void Listen(int s, const std::vector<std::string>& f, const std::string& spec) {
  const int backlog = f.size() > 3 ? std::atoi(f[3].c_str()) : 128;
  if (listen(s, backlog) != 0) Die("listen " + spec);
}

void Open(const std::string& spec, std::vector<int>* keep) {
  std::vector<std::string> f;
  std::stringstream in(spec);
  for (std::string part; std::getline(in, part, ',');) f.push_back(part);
  if (f.size() < 3) Die("bad spec " + spec);
  sockaddr_storage ss;
  socklen_t len = MakeAddress(f[1], std::atoi(f[2].c_str()), &ss);
  const bool tcp = f[0] == "tcp";
  const size_t first_option = tcp ? 5 : 3;
  std::string device;
  int group = 0;  // 0: no SO_REUSEPORT
  for (size_t i = first_option; i < f.size(); ++i) {
    if (f[i].rfind("dev=", 0) == 0) {
      device = f[i].substr(4);
    } else if (f[i].rfind("reuseport=", 0) == 0) {
      group = std::atoi(f[i].c_str() + 10);
    } else {
      Die("bad option " + f[i] + " in " + spec);
    }
  }
  int s = -1;
  for (int member = 0; member < std::max(group, 1); ++member) {
    s = socket(ss.ss_family, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
    if (s < 0) Die("socket");
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (group > 0 && setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      Die("SO_REUSEPORT " + spec);
    }
    if (!device.empty() && setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, device.c_str(),
                                      static_cast<socklen_t>(device.size())) != 0) {
      Die("SO_BINDTODEVICE " + spec);
    }
    if (bind(s, reinterpret_cast<sockaddr*>(&ss), len) != 0) Die("bind " + spec);
    keep->push_back(s);
    if (tcp && member + 1 < group) Listen(s, f, spec);
  }
  if (f[0] == "udpc") {
    sockaddr_storage peer;
    socklen_t plen = MakeAddress(f[1], 9, &peer);
    if (connect(s, reinterpret_cast<sockaddr*>(&peer), plen) != 0) Die("connect " + spec);
  }
  if (!tcp) return;
  Listen(s, f, spec);
  const int pending = f.size() > 4 ? std::atoi(f[4].c_str()) : 0;
  for (int i = 0; i < pending; ++i) {
    int c = socket(ss.ss_family, SOCK_STREAM, 0);
    if (c < 0 || connect(c, reinterpret_cast<sockaddr*>(&ss), len) != 0) Die("connect " + spec);
    keep->push_back(c);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int forks = 0;
  std::vector<int> keep;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--fork=", 0) == 0) {
      forks = std::atoi(arg.c_str() + 7);
    } else {
      Open(arg, &keep);
    }
  }
  signal(SIGUSR1, [](int) { g_handoff = 1; });
  for (int i = 0; i < forks; ++i) {
    pid_t child = fork();
    if (child < 0) Die("fork");
    if (child == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // pre-fork workers end with their parent
      signal(SIGUSR1, SIG_DFL);
      for (;;) pause();
    }
  }
  std::printf("ready %d\n", static_cast<int>(getpid()));
  std::fflush(stdout);
  for (;;) {
    pause();
    if (!g_handoff) continue;
    pid_t child = fork();
    if (child < 0) Die("fork");
    if (child > 0) {
      std::printf("handoff %d\n", static_cast<int>(child));
      std::fflush(stdout);
      _exit(0);
    }
    g_handoff = 0;
  }
}
