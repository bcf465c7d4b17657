#include "collectors/routes/route.h"

#include <arpa/inet.h>

namespace netstat::routes {

std::string FormatAddress(int af, const uint8_t* addr) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (::inet_ntop(af, addr, buf, sizeof buf) == nullptr) return {};
  return buf;
}

std::string FormatCidr(int af, const uint8_t* addr, unsigned prefix_length) {
  return FormatAddress(af, addr) + "/" + std::to_string(prefix_length);
}

const char* FamilyName(int af) { return af == AF_INET6 ? "ipv6" : "ipv4"; }

}  // namespace netstat::routes
