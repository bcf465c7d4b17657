// Pure parsers for one line of /proc/net/{tcp,tcp6,udp,udp6,udplite,udplite6,raw,raw6}
// and /proc/net/unix. The procfs socket table feeds them line by line; nothing here
// touches a file or allocates.
#pragma once

#include <string_view>

#include "readers/socket_table/socket_table.h"

namespace netstat::socket_table {

// Parses one socket line of an inet table ("  0: 0100007F:0277 00000000:0000 0A ...").
// `family` says how wide the addresses are. Returns false for the header line and for
// anything malformed; *out is then unspecified.
bool ParseInetLine(std::string_view line, Protocol protocol, Family family, InetSocket* out);

// Parses one line of /proc/net/unix ("0000...: 00000002 00000000 00010000 0001 01 1234 /p").
// The state is normalized to kListen, kEstablished or kClose as unix_diag reports it.
// /proc/net/unix has no queue columns: receive_queue and send_queue are 0.
bool ParseUnixLine(std::string_view line, UnixSocket* out);

}  // namespace netstat::socket_table
