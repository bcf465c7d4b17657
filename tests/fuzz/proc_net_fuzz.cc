// /proc/net/{tcp,udp,udplite,raw}{,6} and /proc/net/unix. The parsers take one line, as
// the procfs socket table hands them; each line is tried as every format, since only
// the address width differs between the inet files.
#include "readers/procfs/text.h"
#include "readers/socket_table/proc_net_parser.h"
#include "tests/fuzz/fuzz_text.h"

namespace {

using netstat::socket_table::Family;
using netstat::socket_table::Protocol;

void ParseLine(std::string_view line) {
  netstat::socket_table::InetSocket inet;
  netstat::socket_table::ParseInetLine(line, Protocol::kTcp, Family::kIpv4, &inet);
  netstat::socket_table::ParseInetLine(line, Protocol::kUdp, Family::kIpv6, &inet);
  netstat::socket_table::UnixSocket unix_socket;
  netstat::socket_table::ParseUnixLine(line, &unix_socket);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  netstat::procfs::ForEachLine(netstat::fuzz::AsText(data, size),
                               [](std::string_view line, size_t) { ParseLine(line); });
  return 0;
}
