// netstat_bench_fds: one process of the listeners benchmark's load. It opens LISTENERS TCP
// listeners on 127.0.0.1 (ports BASE..), UDP_LISTENERS bound UDP sockets, CONNECTIONS
// loopback TCP connections to its own first listener (client and accepted end: two
// sockets each) and OTHER fds (/dev/null, pipes, eventfds in turn), prints "ready", and
// waits for SIGTERM. The per-process open-file limit here is 20,000: stay under it.
//   netstat_bench_fds BASE LISTENERS UDP_LISTENERS CONNECTIONS OTHER
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "netstat_bench_fds: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

sockaddr_in Loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

int Bound(int type, int port) {
  int s = socket(AF_INET, type, 0);
  if (s < 0) Die("socket");
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = Loopback(port);
  if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) Die("bind");
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s BASE LISTENERS UDP_LISTENERS CONNECTIONS OTHER\n", argv[0]);
    return 2;
  }
  const int base = std::atoi(argv[1]), listeners = std::atoi(argv[2]);
  const int udp = std::atoi(argv[3]), connections = std::atoi(argv[4]);
  const int other = std::atoi(argv[5]);
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);

  int first = -1;
  for (int i = 0; i < listeners; ++i) {
    int s = Bound(SOCK_STREAM, base + i);
    if (listen(s, 4096) != 0) Die("listen");
    if (first < 0) first = s;
  }
  for (int i = 0; i < udp; ++i) Bound(SOCK_DGRAM, base + i);
  sockaddr_in target = Loopback(base);
  for (int i = 0; i < connections && first >= 0; ++i) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
      Die("connect");
    }
    if (accept(first, nullptr, nullptr) < 0) Die("accept");
  }
  int devnull = open("/dev/null", O_RDONLY);
  for (int i = 0; i < other; ++i) {
    switch (i % 3) {
      case 0:
        if (dup(devnull) < 0) Die("dup");
        break;
      case 1: {
        int p[2];
        if (pipe(p) != 0) Die("pipe");
        ++i;  // a pipe is two fds
        break;
      }
      default:
        if (eventfd(0, 0) < 0) Die("eventfd");
    }
  }
  std::printf("ready %d\n", static_cast<int>(getpid()));
  std::fflush(stdout);
  for (;;) pause();
}
