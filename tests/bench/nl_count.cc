// The bench's baseline: a bare NETLINK_SOCK_DIAG dump that only counts messages, with
// nothing from the exporter in it. Dumps tcp, udp, udplite, raw (v4 and v6) and unix,
// as the sockets collector does, REPEAT times, and prints each dump's wall time.
//   nl_count [REPEAT] [tcp]   ("tcp": only the two TCP dumps)
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

alignas(8) unsigned char g_buffer[64 * 1024];

long Dump(int fd, const void* request, size_t length) {
  if (send(fd, request, length, 0) < 0) return -1;
  long count = 0;
  for (;;) {
    ssize_t n = recv(fd, g_buffer, sizeof g_buffer, 0);
    if (n < 0) return -1;
    for (auto* h = reinterpret_cast<nlmsghdr*>(g_buffer); NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) return count;
      ++count;
    }
  }
}

long DumpInet(int fd, int family, int protocol, unsigned seq) {
  struct {
    nlmsghdr h;
    inet_diag_req_v2 r;
  } req{};
  req.h.nlmsg_len = sizeof req;
  req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.h.nlmsg_seq = seq;
  req.r.sdiag_family = static_cast<unsigned char>(family);
  req.r.sdiag_protocol = static_cast<unsigned char>(protocol);
  // States 0..12, as ss -a and the exporter ask: bit 13 (TCP_BOUND_INACTIVE) would make
  // the kernel also walk the bind hash.
  req.r.idiag_states = (1u << 13) - 1;
  return Dump(fd, &req, sizeof req);
}

long DumpUnix(int fd, unsigned seq) {
  struct {
    nlmsghdr h;
    unix_diag_req r;
  } req{};
  req.h.nlmsg_len = sizeof req;
  req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.h.nlmsg_seq = seq;
  req.r.sdiag_family = AF_UNIX;
  req.r.udiag_states = ~0u;
  req.r.udiag_show = UDIAG_SHOW_RQLEN;
  return Dump(fd, &req, sizeof req);
}

}  // namespace

int main(int argc, char** argv) {
  const int repeat = argc > 1 ? std::atoi(argv[1]) : 1;
  const bool tcp_only = argc > 2 && std::string(argv[2]) == "tcp";
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) {
    std::perror("socket");
    return 1;
  }
  int size = 1 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  unsigned seq = 0;
  for (int i = 0; i < repeat; ++i) {
    auto start = std::chrono::steady_clock::now();
    long total = 0;
    for (int protocol : {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE, IPPROTO_RAW}) {
      if (tcp_only && protocol != IPPROTO_TCP) continue;
      for (int family : {AF_INET, AF_INET6}) {
        long n = DumpInet(fd, family, protocol, ++seq);
        if (n > 0) total += n;
      }
    }
    if (!tcp_only) total += DumpUnix(fd, ++seq);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("%ld %.3f\n", total, ms);
  }
  close(fd);
  return 0;
}
