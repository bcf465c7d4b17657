// netstat_e2e_churner: forks short-lived listeners, so that processes and sockets appear
// and vanish while the exporter scrapes. Its name is longer than 15 characters on
// purpose: a child caught while exiting must not be reported by its cut comm.
//   netstat_e2e_churner SECONDS MAX_CHILDREN
// Every ~10 ms (at most 16 alive at once) a child listens on TCP and binds UDP on
// 127.0.0.1 or ::1 (ephemeral ports), lives 2-30 ms and exits. Stops after SECONDS or
// MAX_CHILDREN children, whichever comes first, waits for them, prints "forked N".
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr int kMaxAlive = 16;

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void SleepMs(long ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&ts, nullptr);
}

// Binds a socket of `type` to the loopback address of `family`, port 0.
int Bind(int family, int type) {
  int s = socket(family, type, 0);
  if (s < 0) return -1;
  sockaddr_storage ss{};
  socklen_t len;
  if (family == AF_INET) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    v4->sin_family = AF_INET;
    v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *v4;
  } else {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    v6->sin6_family = AF_INET6;
    v6->sin6_addr = in6addr_loopback;
    len = sizeof *v6;
  }
  if (bind(s, reinterpret_cast<sockaddr*>(&ss), len) != 0) return -1;
  return s;
}

[[noreturn]] void Child(unsigned seed) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test
  const int family = seed % 2 ? AF_INET : AF_INET6;
  int tcp = Bind(family, SOCK_STREAM);
  if (tcp >= 0) listen(tcp, 8);
  Bind(family, SOCK_DGRAM);
  SleepMs(2 + static_cast<long>(seed % 29));
  _exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: netstat_e2e_churner SECONDS MAX_CHILDREN\n");
    return 2;
  }
  const double end = Now() + std::atof(argv[1]);
  const long max_children = std::atol(argv[2]);
  long forked = 0;
  int alive = 0;
  unsigned seed = static_cast<unsigned>(getpid());
  while (Now() < end && forked < max_children) {
    while (waitpid(-1, nullptr, WNOHANG) > 0) --alive;
    if (alive < kMaxAlive) {
      seed = seed * 1103515245u + 12345u;
      pid_t child = fork();
      if (child == 0) Child(seed >> 8);
      if (child > 0) {
        ++forked;
        ++alive;
      }
    }
    SleepMs(10);
  }
  while (alive > 0 && wait(nullptr) > 0) --alive;
  std::printf("forked %ld\n", forked);
  return 0;
}
