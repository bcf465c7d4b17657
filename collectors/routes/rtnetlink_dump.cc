// RTM_GETROUTE dumps, one per family, through the shared netlink::DumpSocket (receive
// timeout, EINTR retried) and netlink::WalkReply (sequence numbers and port checked,
// errors read from inside NLMSG_DONE, NLM_F_DUMP_INTR noticed: the dump is then repeated).
#include "collectors/routes/rtnetlink_dump.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>

#include "collectors/routes/rtnetlink_route_parser.h"
#include "readers/netlink/dump_socket.h"
#include "readers/netlink/reply_walk.h"

namespace netstat::routes {
namespace {

constexpr int kMaxAttempts = 3;

struct DumpState {
  InterfaceName name;
  RouteResult* result;
  bool interrupted = false;
};

// One RTM_NEWROUTE message into state->result. A kernel without IPv6 answers an
// AF_INET6 dump with all its routes: those of another family are left out.
void OnRoute(std::span<const uint8_t> message, int family, DumpState* state) {
  rtmsg rtm;
  if (message.size() >= NLMSG_LENGTH(sizeof rtm)) {
    std::memcpy(&rtm, message.data() + NLMSG_HDRLEN, sizeof rtm);
    if (rtm.rtm_family != family) return;
  }
  std::string err =
      ParseRouteMessage(message.data(), message.size(), state->name, &state->result->routes);
  if (!err.empty()) state->result->errors.push_back("rtnetlink: " + err);
}

// One dump of one family into state->result. Returns "" or why it failed; *error_code
// is the kernel's errno when the reply carried one.
std::string DumpFamily(netlink::DumpSocket& socket, int af, DumpState* state, int* error_code) {
  struct {
    nlmsghdr header;
    rtmsg rtm;
  } request{};
  request.header.nlmsg_len = NLMSG_LENGTH(sizeof request.rtm);
  request.header.nlmsg_type = RTM_GETROUTE;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.header.nlmsg_seq = socket.NextSeq();
  request.rtm.rtm_family = static_cast<unsigned char>(af);
  static_assert(sizeof request == NLMSG_LENGTH(sizeof(rtmsg)));

  netlink::ReplyChunk last;
  const std::string failure = socket.Dump(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&request), sizeof request),
      [&](const netlink::Datagram& d) {
        last = netlink::WalkReply(d.bytes, d.seq, d.portid, RTM_NEWROUTE,
                                  [&](std::span<const uint8_t> message) {
                                    OnRoute(message, af, state);
                                    return true;  // a malformed route is counted, not fatal
                                  });
        state->interrupted |= last.interrupted;
        switch (last.status) {
          case netlink::ReplyChunk::kMore:
            return netlink::Chunk::kMore;
          case netlink::ReplyChunk::kDone:
          case netlink::ReplyChunk::kError:  // the reply ended with it
            return netlink::Chunk::kDone;
          case netlink::ReplyChunk::kMalformed:
            break;
        }
        return netlink::Chunk::kAbandon;
      });
  *error_code = 0;
  if (!failure.empty()) return failure;
  if (last.status == netlink::ReplyChunk::kMalformed) return "malformed reply";
  if (last.status == netlink::ReplyChunk::kError) {
    *error_code = last.error;
    return std::strerror(last.error);
  }
  return {};
}

}  // namespace

std::string DumpMainRoutes(RouteResult* result) {
  std::string error;
  std::unique_ptr<netlink::DumpSocket> socket = netlink::DumpSocket::Open(NETLINK_ROUTE, &error);
  if (!socket) return "rtnetlink " + error;
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
      int code = 0;
      error = DumpFamily(*socket, af, &state, &code);
      if (code == EAFNOSUPPORT) continue;  // family not built into this kernel
      if (!error.empty()) return "rtnetlink route dump: " + error;
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
