// Pure parser for /proc/net/sockstat and /proc/net/sockstat6: lines of
// "GROUP: name value name value ...", e.g. "TCP: inuse 5 orphan 0 tw 2 alloc 7 mem 1".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace netstat::sockets {

struct SockstatValue {
  std::string group;  // as the kernel writes it: "sockets", "TCP", "UDP6", "FRAG"
  std::string field;  // "used", "inuse", "mem" (pages), "memory" (bytes), ...
  uint64_t value;
};

struct SockstatResult {
  std::vector<SockstatValue> values;
  std::vector<std::string> errors;  // one per malformed line
};

SockstatResult ParseSockstat(std::string_view text);

}  // namespace netstat::sockets
