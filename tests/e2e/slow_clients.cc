// Hostile HTTP clients for the front's end-to-end test, on 127.0.0.1 only.
//   slow_clients PORT half N   opens N connections, sends half a request on each, prints
//                              "ready", then waits (at most 30 s) until the server closes
//                              them: "closed K of N, last after S s".
//   slow_clients PORT big MB   sends a request whose head is MB megabytes and prints the
//                              answer's status line, or "closed" when the server hung up.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  return fd;
}

int Half(int port, int n) {
  const char half[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow";
  std::vector<pollfd> fds;
  for (int i = 0; i < n; ++i) {
    int fd = Connect(port);
    if (::send(fd, half, sizeof half - 1, MSG_NOSIGNAL) < 0) std::perror("send");
    fds.push_back({fd, POLLIN, 0});
  }
  const Clock::time_point start = Clock::now();
  std::printf("ready\n");
  std::fflush(stdout);
  int closed = 0;
  double last = 0;
  while (closed < n && Clock::now() - start < std::chrono::seconds(30)) {
    if (::poll(fds.data(), fds.size(), 200) <= 0) continue;
    for (auto& p : fds) {
      if (p.fd < 0 || !p.revents) continue;
      char buf[512];
      if (::recv(p.fd, buf, sizeof buf, 0) > 0) continue;  // an answer before the close
      ::close(p.fd);
      p.fd = -1;
      ++closed;
      last = std::chrono::duration<double>(Clock::now() - start).count();
    }
  }
  std::printf("closed %d of %d, last after %.2f s\n", closed, n, last);
  for (auto& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }
  return 0;
}

int Big(int port, int megabytes) {
  int fd = Connect(port);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  std::string head = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ";
  head.append(static_cast<size_t>(megabytes) << 20, 'a');
  head.append("\r\n\r\n");
  // The server may answer and close before it has read it all: a failed send is fine.
  for (size_t sent = 0; sent < head.size();) {
    ssize_t w = ::send(fd, head.data() + sent, head.size() - sent, MSG_NOSIGNAL);
    if (w <= 0) break;
    sent += static_cast<size_t>(w);
  }
  char buf[256] = {};
  ssize_t r = ::recv(fd, buf, sizeof buf - 1, 0);
  if (r <= 0) {
    std::printf("closed\n");
  } else {
    buf[r] = 0;
    if (char* end = std::strpbrk(buf, "\r\n")) *end = 0;
    std::printf("%s\n", buf);
  }
  ::close(fd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: slow_clients PORT half N | PORT big MB\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int n = std::atoi(argv[3]);
  if (std::strcmp(argv[2], "half") == 0) return Half(port, n);
  if (std::strcmp(argv[2], "big") == 0) return Big(port, n);
  return 2;
}
