// netstat_e2e_psock: processes that hold known sockets for the process_sockets tests.
// Each mode names itself (prctl) before it opens anything, prints "ready PID" once its
// sockets are in place, then waits for SIGTERM (children die with it).
//   server NAME PORT1 N1 CLOSE1 PORT2 N2  listen on 127.0.0.1:PORT1 and :PORT2, accept N1
//                                         and N2 connections, close the first CLOSE1 of
//                                         PORT1's (their peers go to CLOSE_WAIT)
//   client NAME PORT N                    N connections to 127.0.0.1:PORT
//   mixed NAME                            UDP (v4 and v6 bound, one connected) and unix
//                                         sockets (a pair, a listener, an unbound dgram)
//   fork NAME CHILD PORT                  listen on PORT, fork a child named CHILD that
//                                         keeps the listener and opens one UDP socket
//   many NAME N K                         N children NAME0..NAME(N-1) holding K+i UDP
//                                         sockets each (child i holds K+i)
//   churn NAME K SECONDS                  for SECONDS, children that open K UDP sockets,
//                                         rename themselves NAME, live 0-20 or 100-300 ms,
//                                         and exit
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "netstat_e2e_psock: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

void Name(const std::string& name) { prctl(PR_SET_NAME, name.c_str(), 0, 0, 0); }

sockaddr_in Loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

int Listen(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = Loopback(port);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 64) != 0) {
    Die("listen");
  }
  return fd;
}

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = Loopback(port);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) Die("connect");
  return fd;
}

int Udp(bool connect_it) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a = Loopback(0);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) Die("udp bind");
  if (connect_it) {
    sockaddr_in to = Loopback(9);
    if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) Die("udp connect");
  }
  return fd;
}

void Ready() {
  std::printf("ready %d\n", getpid());
  std::fflush(stdout);
}

void Wait() {
  for (;;) pause();
}

void Server(const std::string& name, int port1, int n1, int close1, int port2, int n2) {
  Name(name);
  int l1 = Listen(port1), l2 = Listen(port2);
  std::printf("listening\n");
  std::fflush(stdout);
  std::vector<int> accepted1;
  for (int i = 0; i < n1; ++i) accepted1.push_back(accept(l1, nullptr, nullptr));
  for (int i = 0; i < n2; ++i) accept(l2, nullptr, nullptr);
  for (int i = 0; i < close1; ++i) close(accepted1[static_cast<size_t>(i)]);
  Ready();
  Wait();
}

void Mixed(const std::string& name) {
  Name(name);
  Udp(false);
  Udp(true);
  int v6 = socket(AF_INET6, SOCK_DGRAM, 0);
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  if (v6 < 0 || bind(v6, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) Die("udp6 bind");
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) Die("socketpair");
  int ul = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un u{};
  u.sun_family = AF_UNIX;
  std::snprintf(u.sun_path + 1, sizeof u.sun_path - 1, "netstat_e2e_psock_%d", getpid());
  if (ul < 0 || bind(ul, reinterpret_cast<sockaddr*>(&u), sizeof u) != 0 || listen(ul, 4) != 0) {
    Die("unix listen");
  }
  if (socket(AF_UNIX, SOCK_DGRAM, 0) < 0) Die("unix dgram");
  Ready();
  Wait();
}

void Fork(const std::string& name, const std::string& child_name, int port) {
  Name(name);
  Listen(port);
  int ready[2];
  if (pipe(ready) != 0) Die("pipe");
  pid_t child = fork();
  if (child == 0) {
    Name(child_name);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    Udp(false);
    if (write(ready[1], "x", 1) != 1) Die("write");
    Wait();
  }
  char c;
  if (read(ready[0], &c, 1) != 1) Die("child");
  std::printf("child %d\n", child);
  Ready();
  Wait();
}

void Many(const std::string& name, int n, int k) {
  Name(name);
  int ready[2];
  if (pipe(ready) != 0) Die("pipe");
  for (int i = 0; i < n; ++i) {
    if (fork() == 0) {
      Name(name + std::to_string(i));
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      for (int j = 0; j < k + i; ++j) Udp(false);
      if (write(ready[1], "x", 1) != 1) Die("write");
      Wait();
    }
  }
  for (int i = 0; i < n; ++i) {
    char c;
    if (read(ready[0], &c, 1) != 1) Die("child");
  }
  Ready();
  Wait();
}

void Churn(const std::string& name, int k, int seconds) {
  Name("psock_churner");
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  Ready();
  unsigned seed = static_cast<unsigned>(getpid());
  long children = 0;
  long forked = 0;
  while (std::chrono::steady_clock::now() < end) {
    // Two in three die young (many exits while the exporter runs), one lives long enough that a
    // slow run (a sanitizer build, a loaded machine) still finds some alive.
    const int live_us = static_cast<int>(++forked % 3 != 0 ? rand_r(&seed) % 20000
                                                           : 100000 + rand_r(&seed) % 200000);
    pid_t pid = fork();
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      for (int j = 0; j < k; ++j) Udp(false);
      Name(name);  // only now: a process named NAME holds all K sockets
      usleep(static_cast<useconds_t>(live_us));
      _exit(0);
    }
    if (pid > 0) ++children;
    while (waitpid(-1, nullptr, children > 16 ? 0 : WNOHANG) > 0) --children;
  }
  while (waitpid(-1, nullptr, 0) > 0) {
  }
  std::printf("done\n");
  std::fflush(stdout);
  Wait();
}

int Int(const char* s) { return std::atoi(s); }

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "server" && argc == 8) {
    Server(argv[2], Int(argv[3]), Int(argv[4]), Int(argv[5]), Int(argv[6]), Int(argv[7]));
  } else if (mode == "client" && argc == 5) {
    Name(argv[2]);
    for (int i = 0; i < Int(argv[4]); ++i) Connect(Int(argv[3]));
    Ready();
    Wait();
  } else if (mode == "mixed" && argc == 3) {
    Mixed(argv[2]);
  } else if (mode == "fork" && argc == 5) {
    Fork(argv[2], argv[3], Int(argv[4]));
  } else if (mode == "many" && argc == 5) {
    Many(argv[2], Int(argv[3]), Int(argv[4]));
  } else if (mode == "churn" && argc == 5) {
    Churn(argv[2], Int(argv[3]), Int(argv[4]));
  }
  std::fprintf(stderr, "usage: see the head of psock_helper.cc\n");
  return 2;
}
