// RTM_GETROUTE dumps through libmnl, one per family, with the care `ss` takes: sequence
// numbers checked by mnl_cb_run2, errors read from inside NLMSG_DONE, EINTR retried,
// NLM_F_DUMP_INTR noticed (the dump is then repeated).
#include "collectors/routes/rtnetlink_dump.h"

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>

#include "collectors/routes/rtnetlink_route_parser.h"

namespace netstat::routes {
namespace {

constexpr int kMaxAttempts = 3;

struct DumpState {
  InterfaceName name;
  RouteResult* result;
  int family = AF_UNSPEC;  // a kernel without IPv6 answers an AF_INET6 dump with all
  bool interrupted = false;
  int done_error = 0;
};

int OnMessage(const nlmsghdr* nlh, void* data) {
  auto* state = static_cast<DumpState*>(data);
  if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) state->interrupted = true;
  if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(rtmsg)) &&
      static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh))->rtm_family != state->family) {
    return MNL_CB_OK;
  }
  std::string err = ParseRouteMessage(nlh, nlh->nlmsg_len, state->name, &state->result->routes);
  if (!err.empty()) state->result->errors.push_back("rtnetlink: " + err);
  return MNL_CB_OK;
}

// A dump that failed part-way carries its error as an int inside NLMSG_DONE.
int OnDone(const nlmsghdr* nlh, void* data) {
  auto* state = static_cast<DumpState*>(data);
  if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) state->interrupted = true;
  if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
    int err;
    std::memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof err);
    if (err < 0) state->done_error = -err;
  }
  return MNL_CB_STOP;
}

struct SocketCloser {
  void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};

// One dump of one family into state->result. Returns 0 or an errno.
int DumpFamily(mnl_socket* nl, int af, DumpState* state) {
  alignas(nlmsghdr) char request[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* nlh = mnl_nlmsg_put_header(request);
  nlh->nlmsg_type = RTM_GETROUTE;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  static unsigned int seq_counter = static_cast<unsigned int>(time(nullptr));
  const unsigned int seq = __atomic_add_fetch(&seq_counter, 1, __ATOMIC_RELAXED);
  nlh->nlmsg_seq = seq;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = static_cast<unsigned char>(af);
  state->family = af;
  if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) return errno;

  const unsigned int portid = mnl_socket_get_portid(nl);
  mnl_cb_t ctl[NLMSG_MIN_TYPE] = {};
  ctl[NLMSG_DONE] = OnDone;
  // Dump replies are at most about 32 KiB per datagram; a larger buffer never truncates.
  std::vector<char> buf(64 * 1024);
  while (true) {
    ssize_t n = mnl_socket_recvfrom(nl, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    int rc = mnl_cb_run2(buf.data(), static_cast<size_t>(n), seq, portid, OnMessage, state, ctl,
                         NLMSG_MIN_TYPE);
    if (rc == MNL_CB_ERROR) return errno != 0 ? errno : EPROTO;
    if (rc == MNL_CB_STOP) return state->done_error;
  }
}

}  // namespace

std::string DumpMainRoutes(RouteResult* result) {
  std::unique_ptr<mnl_socket, SocketCloser> nl(mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC));
  if (!nl) return std::string("rtnetlink socket: ") + std::strerror(errno);
  if (mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    return std::string("rtnetlink bind: ") + std::strerror(errno);
  }
  // Interface names resolved once per ifindex per run (SIOCGIFNAME in this namespace).
  std::map<uint32_t, std::string> names;
  InterfaceName name = [&names](uint32_t ifindex) -> std::string {
    auto it = names.find(ifindex);
    if (it != names.end()) return it->second;
    char buf[IF_NAMESIZE] = {};
    std::string n = if_indextoname(ifindex, buf) != nullptr ? buf : "";
    names.emplace(ifindex, n);
    return n;
  };
  for (int attempt = 1;; ++attempt) {
    RouteResult attempt_result;
    DumpState state{name, &attempt_result};
    for (int af : {AF_INET, AF_INET6}) {
      int err = DumpFamily(nl.get(), af, &state);
      if (err == EAFNOSUPPORT) continue;  // family not built into this kernel
      if (err != 0) {
        return std::string("rtnetlink route dump: ") + std::strerror(err);
      }
    }
    if (!state.interrupted || attempt == kMaxAttempts) {
      *result = std::move(attempt_result);
      if (state.interrupted) result->errors.push_back("rtnetlink: dump interrupted");
      return {};
    }
    names.clear();
  }
}

}  // namespace netstat::routes
