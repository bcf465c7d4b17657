// Pure parsers for the protocol statistics files behind `netstat -s` / `nstat`:
// /proc/net/snmp and /proc/net/netstat (pairs of "Group: names" / "Group: values" lines)
// and /proc/net/snmp6 ("Ip6InReceives 123" per line).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace netstat::snmp {

struct Field {
  std::string group;  // "Tcp", "TcpExt", "Ip6"
  std::string name;   // "ActiveOpens", "InReceives"
  double value;       // parsed from an unsigned 64-bit or a negative 64-bit integer
};

struct ParseResult {
  std::vector<Field> fields;
  // One line per problem, "line N: ..."; the affected group or field is dropped, the rest
  // is kept.
  std::vector<std::string> errors;
};

// /proc/net/snmp and /proc/net/netstat.
ParseResult ParsePairedGroups(std::string_view text);
// /proc/net/snmp6.
ParseResult ParseSnmp6(std::string_view text);

// Parses a whole decimal integer: unsigned up to 2^64-1, or negative down to -2^63.
bool ParseInteger(std::string_view s, double* out);
// True for names that can stand in a Prometheus metric name: [A-Za-z0-9_], not empty.
bool IsMetricNamePart(std::string_view s);

}  // namespace netstat::snmp
