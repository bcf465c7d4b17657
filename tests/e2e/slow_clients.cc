// Hostile HTTP clients for the front's end-to-end test, on 127.0.0.1 only.
//   slow_clients PORT half N   opens N connections, sends half a request on each, prints
//                              "ready", then waits (at most 30 s) until the server closes
//                              them: "closed K of N, last after S s".
//   slow_clients PORT big MB   sends a request whose head is MB megabytes and prints the
//                              answer's status line, or "closed" when the server hung up.
//   slow_clients PORT read N SECONDS [PAUSE_MS]
//                              keeps N connections that each send a whole GET /metrics
//                              (every second one asking for gzip) with a 4 KiB receive
//                              buffer and never read; one the server closes is opened
//                              again (after PAUSE_MS, default 0). Prints "ready" once all N have
//                              sent, and at the end "opened K, closed C, longest S s": S is the
//                              longest a connection stayed open before the server closed it.
//   slow_clients PORT hammer N SECONDS
//                              holds N half-sent requests and every 0.2 s replaces 8 of
//                              them with new ones (a local user keeping the server busy);
//                              prints "ready", then "replaced K".
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

int Connect(int port, int rcvbuf = 0) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && rcvbuf > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
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

// A connection that never reads: the server's answer fills the 4 KiB window and waits.
// The server is done with it when it resets or closes it (POLLHUP/POLLERR/POLLRDHUP).
int Read(int port, int n, int seconds, int pause_ms) {
  const char plain[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  const char gzip[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n\r\n";
  std::vector<pollfd> fds(static_cast<size_t>(n));
  std::vector<Clock::time_point> opened_at(fds.size());
  long opened = 0, closed = 0;
  double longest = 0;
  auto open_one = [&](size_t i) {
    const int fd = Connect(port, 4096);
    const bool z = i % 2 == 1;
    if (::send(fd, z ? gzip : plain, (z ? sizeof gzip : sizeof plain) - 1, MSG_NOSIGNAL) < 0) {
      std::perror("send");
    }
    fds[i] = {fd, POLLRDHUP, 0};
    opened_at[i] = Clock::now();
    ++opened;
  };
  for (size_t i = 0; i < fds.size(); ++i) open_one(i);
  std::printf("ready\n");
  std::fflush(stdout);
  const Clock::time_point end = Clock::now() + std::chrono::seconds(seconds);
  while (Clock::now() < end) {
    if (::poll(fds.data(), fds.size(), 200) <= 0) continue;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLHUP | POLLERR | POLLRDHUP))) continue;
      const double age = std::chrono::duration<double>(Clock::now() - opened_at[i]).count();
      if (age > longest) longest = age;
      ::close(fds[i].fd);
      ++closed;
      if (pause_ms > 0) ::usleep(static_cast<useconds_t>(pause_ms) * 1000);
      open_one(i);
    }
  }
  for (auto& p : fds) ::close(p.fd);
  std::printf("opened %ld, closed %ld, longest %.2f s\n", opened, closed, longest);
  return 0;
}

int Hammer(int port, int n, int seconds) {
  const char half[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: ham";
  std::vector<int> fds;
  auto open_one = [&] {
    const int fd = Connect(port);
    (void)!::send(fd, half, sizeof half - 1, MSG_NOSIGNAL);
    return fd;
  };
  for (int i = 0; i < n; ++i) fds.push_back(open_one());
  std::printf("ready\n");
  std::fflush(stdout);
  long replaced = 0;
  size_t next = 0;
  const Clock::time_point end = Clock::now() + std::chrono::seconds(seconds);
  while (Clock::now() < end) {
    ::usleep(200 * 1000);
    for (int k = 0; k < 8 && !fds.empty(); ++k, ++replaced) {
      ::close(fds[next]);
      fds[next] = open_one();
      next = (next + 1) % fds.size();
    }
  }
  for (int fd : fds) ::close(fd);
  std::printf("replaced %ld\n", replaced);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: slow_clients PORT half N | big MB | read N SECONDS [PAUSE_MS] | hammer N "
                 "SECONDS\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int n = std::atoi(argv[3]);
  if (std::strcmp(argv[2], "read") == 0 && argc >= 5) {
    return Read(port, n, std::atoi(argv[4]), argc > 5 ? std::atoi(argv[5]) : 0);
  }
  if (std::strcmp(argv[2], "hammer") == 0 && argc == 5) {
    return Hammer(port, n, std::atoi(argv[4]));
  }
  if (std::strcmp(argv[2], "half") == 0) return Half(port, n);
  if (std::strcmp(argv[2], "big") == 0) return Big(port, n);
  return 2;
}
