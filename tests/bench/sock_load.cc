// Opens sockets and holds them until killed, for the sockets truth test and the bench.
//   sock_load scenario BASE_PORT  a known mix (see RunScenario) on loopback, v4 and v6
//   sock_load pairs PORT COUNT    one listener on 127.0.0.1:PORT and COUNT established
//                                 loopback connections to it (2 * COUNT + 1 fds)
//   sock_load synrecv PORT SRC DST COUNT
//                                 a listener on 0.0.0.0:PORT and COUNT request sockets
//                                 (new_syn_recv): hand-made SYNs from SRC (an address
//                                 whose replies go nowhere) to DST, a local address
// Prints "ready" on stdout once everything is in place, then waits for SIGTERM.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "sock_load: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

sockaddr_storage Address(int family, uint16_t port) {
  sockaddr_storage ss{};
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    a->sin6_addr = in6addr_loopback;
  }
  return ss;
}

socklen_t Length(int family) {
  return family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
}

int Listen(int family, uint16_t port, int backlog) {
  int fd = socket(family, SOCK_STREAM, 0);
  if (fd < 0) Die("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage a = Address(family, port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), Length(family)) < 0) Die("bind");
  if (listen(fd, backlog) < 0) Die("listen");
  return fd;
}

int Connect(int family, uint16_t port) {
  int fd = socket(family, SOCK_STREAM, 0);
  if (fd < 0) Die("socket");
  sockaddr_storage a = Address(family, port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), Length(family)) < 0) Die("connect");
  return fd;
}

int Accept(int listener) {
  int fd = accept(listener, nullptr, nullptr);
  if (fd < 0) Die("accept");
  return fd;
}

int Udp(int family, uint16_t bind_port, uint16_t connect_port) {
  int fd = socket(family, SOCK_DGRAM, 0);
  if (fd < 0) Die("udp socket");
  sockaddr_storage a = Address(family, bind_port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), Length(family)) < 0) Die("udp bind");
  if (connect_port != 0) {
    sockaddr_storage c = Address(family, connect_port);
    if (connect(fd, reinterpret_cast<sockaddr*>(&c), Length(family)) < 0) Die("udp connect");
  }
  return fd;
}

void Send(int fd, size_t bytes) {
  std::string data(bytes, 'x');
  if (send(fd, data.data(), data.size(), 0) != static_cast<ssize_t>(bytes)) Die("send");
}

// What the truth test expects (base port B):
//   tcp v4: listener 127.0.0.1:B; 3 established pairs to B (one server socket holds 100
//           unread bytes, one client 50); one pair closed by the server only (server
//           fin_wait2, client close_wait); one pair closed by both, server first
//           (server time_wait); one socket only bound (state close) on B+10.
//   tcp v6: listener [::1]:B+1; 2 established pairs to it.
//   udp v4: bound 127.0.0.1:B+2 holding one unread 200-byte datagram; a socket bound to
//           B+3 and connected to B+2 (established).
//   udp v6: bound [::1]:B+4 (unconnected).
//   unix:   a stream listener, a connected stream socketpair, one dgram socket.
//   raw:    one ICMP socket over IPv4, one ICMPv6 socket over IPv6 (both unconnected).
void RunScenario(uint16_t base, std::vector<int>* keep) {
  auto hold = [&](int fd) { keep->push_back(fd); };
  int l4 = Listen(AF_INET, base, 16);
  hold(l4);
  for (int i = 0; i < 3; ++i) {
    int c = Connect(AF_INET, base);
    int s = Accept(l4);
    hold(c);
    hold(s);
    if (i == 0) Send(c, 100);  // unread by s
    if (i == 1) Send(s, 50);   // unread by c
  }
  {  // server closes, client keeps its end: fin_wait2 / close_wait
    int c = Connect(AF_INET, base);
    int s = Accept(l4);
    close(s);
    hold(c);
  }
  {  // server closes first, then the client: the server's end waits in time_wait
    int c = Connect(AF_INET, base);
    int s = Accept(l4);
    close(s);
    usleep(50 * 1000);
    close(c);
  }
  {
    int b = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_storage a = Address(AF_INET, static_cast<uint16_t>(base + 10));
    if (bind(b, reinterpret_cast<sockaddr*>(&a), Length(AF_INET)) < 0) Die("bind close");
    hold(b);
  }
  int l6 = Listen(AF_INET6, static_cast<uint16_t>(base + 1), 16);
  hold(l6);
  for (int i = 0; i < 2; ++i) {
    hold(Connect(AF_INET6, static_cast<uint16_t>(base + 1)));
    hold(Accept(l6));
  }
  int u = Udp(AF_INET, static_cast<uint16_t>(base + 2), 0);
  hold(u);
  int uc = Udp(AF_INET, static_cast<uint16_t>(base + 3), static_cast<uint16_t>(base + 2));
  hold(uc);
  Send(uc, 200);
  hold(Udp(AF_INET6, static_cast<uint16_t>(base + 4), 0));
  int ul = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::snprintf(un.sun_path + 1, sizeof un.sun_path - 1, "netstat-sock-load-%u", base);
  if (bind(ul, reinterpret_cast<sockaddr*>(&un), sizeof un) < 0) Die("unix bind");
  if (listen(ul, 4) < 0) Die("unix listen");
  hold(ul);
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0) Die("socketpair");
  hold(pair[0]);
  hold(pair[1]);
  hold(socket(AF_UNIX, SOCK_DGRAM, 0));
  hold(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
  hold(socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6));
  usleep(100 * 1000);  // let the FIN/ACK exchanges settle
}

// COUNT connections to one listener, in batches the accept queue can hold.
void RunPairs(uint16_t port, long count, std::vector<int>* keep) {
  const long kBatch = 1000;
  int l = Listen(AF_INET, port, static_cast<int>(kBatch) + 16);
  keep->push_back(l);
  for (long done = 0; done < count;) {
    const long n = std::min(kBatch, count - done);
    for (long i = 0; i < n; ++i) keep->push_back(Connect(AF_INET, port));
    for (long i = 0; i < n; ++i) keep->push_back(Accept(l));
    done += n;
  }
}

uint16_t Checksum(const unsigned char* data, size_t length, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < length; i += 2)
    sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
  if (length % 2) sum += static_cast<uint32_t>(data[length - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// SYNs whose SYN-ACKs never get an answer: the listener keeps a request socket for each
// (until its SYN-ACK retries run out, about a minute).
void RunSynRecv(uint16_t port, const char* src, const char* dst, int count,
                std::vector<int>* keep) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in any{};
  any.sin_family = AF_INET;
  any.sin_port = htons(port);
  if (bind(l, reinterpret_cast<sockaddr*>(&any), sizeof any) < 0 || listen(l, 64) < 0) {
    Die("listen");
  }
  keep->push_back(l);
  int raw = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);  // we write the IP header
  if (raw < 0) Die("raw socket");
  in_addr from{}, to{};
  if (inet_pton(AF_INET, src, &from) != 1 || inet_pton(AF_INET, dst, &to) != 1) Die("address");
  for (int i = 0; i < count; ++i) {
    unsigned char packet[40] = {};
    auto* ip = reinterpret_cast<iphdr*>(packet);
    ip->version = 4;
    ip->ihl = 5;
    ip->tot_len = htons(sizeof packet);
    ip->ttl = 64;
    ip->protocol = IPPROTO_TCP;
    ip->saddr = from.s_addr;
    ip->daddr = to.s_addr;
    auto* tcp = reinterpret_cast<tcphdr*>(packet + 20);
    tcp->source = htons(static_cast<uint16_t>(40000 + i));
    tcp->dest = htons(port);
    tcp->seq = htonl(1000);
    tcp->doff = 5;
    tcp->syn = 1;
    tcp->window = htons(65535);
    unsigned char pseudo[12] = {};
    std::memcpy(pseudo, &ip->saddr, 4);
    std::memcpy(pseudo + 4, &ip->daddr, 4);
    pseudo[9] = IPPROTO_TCP;
    pseudo[11] = 20;
    uint32_t sum = 0;
    for (size_t j = 0; j < sizeof pseudo; j += 2)
      sum += static_cast<uint32_t>(pseudo[j] << 8 | pseudo[j + 1]);
    tcp->check = htons(Checksum(packet + 20, 20, sum));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr = to;
    if (sendto(raw, packet, sizeof packet, 0, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
      Die("sendto");
    }
  }
  close(raw);
  usleep(100 * 1000);
}

}  // namespace

int main(int argc, char** argv) {
  rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) == 0) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
  std::vector<int> keep;
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "scenario" && argc == 3) {
    RunScenario(static_cast<uint16_t>(std::atoi(argv[2])), &keep);
  } else if (mode == "pairs" && argc == 4) {
    RunPairs(static_cast<uint16_t>(std::atoi(argv[2])), std::atol(argv[3]), &keep);
  } else if (mode == "synrecv" && argc == 6) {
    RunSynRecv(static_cast<uint16_t>(std::atoi(argv[2])), argv[3], argv[4], std::atoi(argv[5]),
               &keep);
  } else {
    std::fprintf(stderr,
                 "usage: sock_load scenario BASE_PORT | pairs PORT COUNT | synrecv PORT SRC DST "
                 "COUNT\n");
    return 2;
  }
  std::printf("ready %zu\n", keep.size());
  std::fflush(stdout);
  for (;;) pause();
}
