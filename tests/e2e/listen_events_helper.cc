// Listener churn for the listener events test and benchmark. Its name is longer than
// comm's 15 bytes, so the process label shows the untruncated name.
//   short ADDR PORT MS      listen MS milliseconds, close, exit
//   cycles ADDR PORT N      N times: socket, bind, listen, close; prints "done N" and
//                           exits 200 ms later (as a real server does not exit within
//                           a millisecond of its last listen())
//   paced ADDR PORT N MS    as cycles, MS milliseconds apart, printing "at I" every 50
//                           cycles, so that a test can act while the cycles run
//   accept ADDR PORT N      listen, connect to itself and accept N times, print "ready",
//                           then keep listening until killed
//   loop ADDR SECONDS       connect/accept/close on loopback as fast as possible for
//                           SECONDS; prints "connections N per_second X per_cpu_second Y"
//                           (Y: per second of this process's user + system CPU time,
//                           which the tracepoint's work is charged to, and which other
//                           loads on a shared machine disturb far less than wall time)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "listen_events_helper: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

sockaddr_storage Address(const char* text, int port, socklen_t* len) {
  sockaddr_storage ss{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    *len = sizeof *v4;
  } else if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    *len = sizeof *v6;
  } else {
    std::fprintf(stderr, "bad address %s\n", text);
    std::exit(2);
  }
  return ss;
}

int Listen(const sockaddr_storage& ss, socklen_t len, int backlog) {
  const int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Die("socket");
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) Die("bind");
  if (listen(fd, backlog) != 0) Die("listen");
  return fd;
}

// The port the kernel gave a socket bound to port 0.
int PortOf(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) Die("getsockname");
  return ss.ss_family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port)
                                 : ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

void ConnectAcceptClose(int listener, const sockaddr_storage& ss, socklen_t len) {
  const int c = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c < 0) Die("socket");
  if (connect(c, reinterpret_cast<const sockaddr*>(&ss), len) != 0) Die("connect");
  const int a = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (a < 0) Die("accept");
  // RST instead of FIN/TIME_WAIT: a loop of 10 s would otherwise run out of ports.
  const linger lg{1, 0};
  setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(c);
  close(a);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s short|cycles|paced|accept|loop ADDR ...\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  const char* addr = argv[2];
  socklen_t len = 0;
  if (mode == "short" && argc == 5) {
    sockaddr_storage ss = Address(addr, std::atoi(argv[3]), &len);
    const int fd = Listen(ss, len, 16);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(argv[4])));
    close(fd);
    return 0;
  }
  if (mode == "cycles" && argc == 5) {
    sockaddr_storage ss = Address(addr, std::atoi(argv[3]), &len);
    const int n = std::atoi(argv[4]);
    for (int i = 0; i < n; ++i) close(Listen(ss, len, 16));
    std::printf("done %d\n", n);
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return 0;
  }
  if (mode == "paced" && argc == 6) {
    sockaddr_storage ss = Address(addr, std::atoi(argv[3]), &len);
    const int n = std::atoi(argv[4]);
    const auto pause = std::chrono::milliseconds(std::atoi(argv[5]));
    for (int i = 1; i <= n; ++i) {
      close(Listen(ss, len, 16));
      if (i % 50 == 0) {
        std::printf("at %d\n", i);
        std::fflush(stdout);
      }
      std::this_thread::sleep_for(pause);
    }
    std::printf("done %d\n", n);
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return 0;
  }
  if (mode == "accept" && argc == 5) {
    sockaddr_storage ss = Address(addr, std::atoi(argv[3]), &len);
    const int fd = Listen(ss, len, 128);
    for (int i = 0, n = std::atoi(argv[4]); i < n; ++i) ConnectAcceptClose(fd, ss, len);
    std::printf("ready %d\n", static_cast<int>(getpid()));
    std::fflush(stdout);
    pause();
    return 0;
  }
  if (mode == "loop") {
    sockaddr_storage ss = Address(addr, 0, &len);
    const int fd = Listen(ss, len, 128);
    ss = Address(addr, PortOf(fd), &len);
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(std::atoi(argv[3]));
    long n = 0;
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < end) {
      for (int i = 0; i < 100; ++i) ConnectAcceptClose(fd, ss, len);
      n += 100;
    }
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                       static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    std::printf("connections %ld per_second %.0f per_cpu_second %.0f\n", n,
                static_cast<double>(n) / s, static_cast<double>(n) / cpu);
    return 0;
  }
  std::fprintf(stderr, "bad arguments for %s\n", mode.c_str());
  return 2;
}
