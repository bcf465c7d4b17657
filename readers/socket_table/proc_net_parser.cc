#include "readers/socket_table/proc_net_parser.h"

#include <cstring>

namespace netstat::socket_table {
namespace {

constexpr uint32_t kSoAcceptCon = 0x10000;  // __SO_ACCEPTCON: a listening unix socket
constexpr uint64_t kSsConnecting = 2;       // SS_CONNECTING (an embryo, not accepted yet)
constexpr uint64_t kSsConnected = 3;

// A cursor over one line: fields separated by spaces, numbers in hex or decimal.
class Fields {
 public:
  explicit Fields(std::string_view line) : rest_(line) {}

  std::string_view Next() {
    while (!rest_.empty() && rest_.front() == ' ') rest_.remove_prefix(1);
    size_t end = rest_.find(' ');
    if (end == std::string_view::npos) end = rest_.size();
    std::string_view field = rest_.substr(0, end);
    rest_.remove_prefix(end);
    return field;
  }

 private:
  std::string_view rest_;
};

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Whole field must be a number that fits in `max_digits` digits.
bool ParseHex(std::string_view s, size_t max_digits, uint64_t* out) {
  if (s.empty() || s.size() > max_digits) return false;
  uint64_t v = 0;
  for (char c : s) {
    int d = HexDigit(c);
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

bool ParseDecimal(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

// "0100007F:0277": the kernel prints each 32-bit word of the address with %08X in host
// byte order, so storing the parsed words natively restores the network-order bytes.
bool ParseEndpoint(std::string_view s, Family family, std::array<uint8_t, 16>* address,
                   uint16_t* port) {
  const size_t words = family == Family::kIpv6 ? 4 : 1;
  if (s.size() != words * 8 + 5 || s[words * 8] != ':') return false;
  address->fill(0);
  for (size_t i = 0; i < words; ++i) {
    uint64_t word;
    if (!ParseHex(s.substr(i * 8, 8), 8, &word)) return false;
    const uint32_t w = static_cast<uint32_t>(word);
    std::memcpy(address->data() + i * 4, &w, 4);
  }
  uint64_t p;
  if (!ParseHex(s.substr(words * 8 + 1), 4, &p)) return false;
  *port = static_cast<uint16_t>(p);
  return true;
}

// "00000000:00000001" -> tx, rx.
bool ParseQueues(std::string_view s, uint32_t* tx, uint32_t* rx) {
  if (s.size() != 17 || s[8] != ':') return false;
  uint64_t a, b;
  if (!ParseHex(s.substr(0, 8), 8, &a) || !ParseHex(s.substr(9), 8, &b)) return false;
  *tx = static_cast<uint32_t>(a);
  *rx = static_cast<uint32_t>(b);
  return true;
}

}  // namespace

bool ParseInetLine(std::string_view line, Protocol protocol, Family family, InetSocket* out) {
  Fields f(line);
  std::string_view slot = f.Next();
  if (slot.size() < 2 || slot.back() != ':') return false;  // also rejects the header
  uint64_t unused, state, uid, inode;
  if (!ParseDecimal(slot.substr(0, slot.size() - 1), &unused)) return false;
  out->protocol = protocol;
  out->family = family;
  if (!ParseEndpoint(f.Next(), family, &out->local_address, &out->local_port)) return false;
  if (!ParseEndpoint(f.Next(), family, &out->remote_address, &out->remote_port)) return false;
  if (!ParseHex(f.Next(), 2, &state)) return false;
  out->state = static_cast<uint8_t>(state);
  if (!ParseQueues(f.Next(), &out->send_queue, &out->receive_queue)) return false;
  f.Next();  // tr:tm->when
  f.Next();  // retrnsmt
  if (!ParseDecimal(f.Next(), &uid)) return false;
  f.Next();  // timeout
  if (!ParseDecimal(f.Next(), &inode)) return false;
  out->uid = static_cast<uint32_t>(uid);
  out->inode = inode;
  out->bound_interface = 0;  // the files do not show sk_bound_dev_if
  out->rtt_us = 0;           // nor the RTT
  return true;
}

bool ParseUnixLine(std::string_view line, UnixSocket* out) {
  Fields f(line);
  std::string_view num = f.Next();
  if (num.size() < 2 || num.back() != ':') return false;  // also rejects the header
  uint64_t v, flags, type, st, inode;
  if (!ParseHex(num.substr(0, num.size() - 1), 16, &v)) return false;
  if (!ParseHex(f.Next(), 8, &v)) return false;  // RefCount
  if (!ParseHex(f.Next(), 8, &v)) return false;  // Protocol
  if (!ParseHex(f.Next(), 8, &flags)) return false;
  if (!ParseHex(f.Next(), 4, &type)) return false;
  if (!ParseHex(f.Next(), 2, &st)) return false;
  if (!ParseDecimal(f.Next(), &inode)) return false;
  out->type = static_cast<uint8_t>(type);
  if (flags & kSoAcceptCon) {
    out->state = kListen;
  } else if (st == kSsConnected || st == kSsConnecting) {
    out->state = kEstablished;
  } else {
    out->state = kClose;
  }
  out->receive_queue = 0;
  out->send_queue = 0;
  out->inode = inode;
  return true;
}

}  // namespace netstat::socket_table
