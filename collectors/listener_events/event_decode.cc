#include "collectors/listener_events/event_decode.h"

#include <sys/socket.h>

#include <array>
#include <cstring>

#include "readers/proctable/proc_parsers.h"
#include "readers/socket_table/socket_table.h"

namespace netstat::listener_events {

namespace st = socket_table;

std::string_view CommOf(const netstat_listener_event& e) {
  const size_t n = strnlen(e.comm, NETSTAT_LE_COMM_LEN - 1);
  return std::string_view(e.comm, n);
}

bool CommMayBeTruncated(const netstat_listener_event& e) {
  return CommOf(e).size() == NETSTAT_LE_COMM_LEN - 1;
}

listeners::ListenerFacts DecodeEvent(const netstat_listener_event& e,
                                     std::string_view raw_cmdline) {
  listeners::ListenerFacts f;
  const st::Family family = e.family == AF_INET6 ? st::Family::kIpv6 : st::Family::kIpv4;
  std::array<uint8_t, 16> address{};
  std::memcpy(address.data(), e.address, family == st::Family::kIpv6 ? 16 : 4);
  f.protocol = st::ProtocolName(st::Protocol::kTcp);
  f.family = st::FamilyName(family);
  f.address = st::FormatAddress(family, address);
  f.port = e.port;
  f.uid = e.uid;
  const std::string_view comm = CommOf(e);
  f.process = CommMayBeTruncated(e) && !raw_cmdline.empty()
                  ? proctable::ProcessName(comm, raw_cmdline)
                  : std::string(comm);
  return f;
}

}  // namespace netstat::listener_events
