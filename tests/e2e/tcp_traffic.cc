// netstat_e2e_tcp_traffic: loopback TCP traffic for the tcp_health test, in the caller's
// namespace.
//   server PORT BYTES...  listens on 127.0.0.1:PORT for each PORT (one thread each),
//                         prints "ready PID"; per connection sends BYTES, then closes
//   client PORT COUNT     COUNT connections one after the other, each read to EOF;
//                         prints "ok PORT COUNT BYTES"
//   refused PORT          one connect that must be refused; prints "refused PORT"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  return a;
}

int Listen(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = Loopback(port);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 128) != 0) {
    std::perror("listen");
    std::exit(1);
  }
  return fd;
}

void Serve(int listener, size_t bytes) {
  const std::string data(bytes, 'x');
  for (;;) {
    const int c = accept(listener, nullptr, nullptr);
    if (c < 0) continue;
    size_t sent = 0;
    while (sent < bytes) {
      const ssize_t n = send(c, data.data() + sent, bytes - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    close(c);
  }
}

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = Loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    const int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "server" && argc >= 4 && argc % 2 == 0) {
    std::vector<std::thread> threads;
    for (int i = 2; i + 1 < argc; i += 2) {
      const int fd = Listen(std::atoi(argv[i]));
      threads.emplace_back(Serve, fd, static_cast<size_t>(std::atol(argv[i + 1])));
    }
    std::printf("ready %d\n", getpid());
    std::fflush(stdout);
    for (auto& t : threads) t.join();
    return 0;
  }
  if (mode == "client" && argc == 4) {
    const int port = std::atoi(argv[2]), count = std::atoi(argv[3]);
    size_t total = 0;
    char buf[65536];
    for (int i = 0; i < count; ++i) {
      const int fd = Connect(port);
      if (fd < 0) return std::perror("connect"), 1;
      for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) total += static_cast<size_t>(n);
      close(fd);
    }
    std::printf("ok %d %d %zu\n", port, count, total);
    return 0;
  }
  if (mode == "refused" && argc == 3) {
    const int port = std::atoi(argv[2]);
    if (Connect(port) >= 0 || errno != ECONNREFUSED) {
      std::fprintf(stderr, "port %d was not refused\n", port);
      return 1;
    }
    std::printf("refused %d\n", port);
    return 0;
  }
  std::fprintf(stderr, "usage: see the comment at the top of tcp_traffic.cc\n");
  return 2;
}
