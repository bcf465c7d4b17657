// The typed configuration model. Loaded from YAML by config_loader, validated there;
// everything here has a sensible built-in default (no config file = these values).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace netstat::config {

// A compiled regular expression that remembers its source text.
struct Pattern {
  std::string source;
  std::shared_ptr<const std::regex> re;

  static Pattern Compile(const std::string& source);  // throws std::regex_error
  bool Search(const std::string& s) const { return std::regex_search(s, *re); }
  bool Match(const std::string& s) const { return std::regex_match(s, *re); }
};

// include/exclude on names: a name passes when include finds a match in it and exclude
// does not (unanchored search, like node_exporter's field filters; anchor with ^...$).
struct NameFilter {
  Pattern include = Pattern::Compile(".*");
  Pattern exclude = Pattern::Compile("^$");
  bool Passes(const std::string& name) const {
    return include.Search(name) && !exclude.Search(name);
  }
};

struct CollectorSettings {
  std::optional<bool> enabled;            // unset: the registry's default
  std::chrono::milliseconds interval{0};  // 0: collect on scrape
};

struct SocketsConfig : CollectorSettings {
  std::vector<uint16_t> remote_ports;
  // How the TCP sockets other than listeners are read in the own namespace: netlink
  // dumps each; bpf counts them in the kernel (BPF programs, tcp_iter/) when one
  // loaded; auto does that only on hosts with enough TCP sockets for it to be faster.
  enum class Source : uint8_t { kAuto, kNetlink, kBpf };
  Source source = Source::kAuto;
  // Live RTT per tracked port (netstat_port_rtt_current_*): TCP dumps by netlink then
  // carry each connection's tcp_info (INET_DIAG_INFO), the BPF count reads srtt_us.
  bool rtt = true;
};

// One `expected:` rule; every field that is set must match.
struct ExpectedRule {
  std::optional<std::string> protocol;  // tcp | udp
  std::optional<std::string> family;    // ipv4 | ipv6
  std::optional<std::string> address;   // canonical text form, as ss -n prints it
  std::optional<uint16_t> port;
  std::optional<std::pair<uint16_t, uint16_t>> port_range;  // inclusive
  std::optional<Pattern> process;                           // whole-name match
  std::optional<std::string> user;                          // name or numeric uid
  std::optional<Pattern> netns;      // whole-value match on the netns label ("" = own namespace)
  std::optional<Pattern> interface;  // whole-value match on the bound device ("" = unbound)
};

struct ListenersConfig : CollectorSettings {
  // Labels on netstat_listener_info beyond protocol/family/address/port/service:
  // any of process, user, pid, exe, cmdline.
  std::vector<std::string> labels = {"process", "user"};
  std::vector<ExpectedRule> expected;
  uint32_t max_listeners = 1000;
};

// Listener events (BPF): every listen() as it happens; the expected rules are the
// listeners collector's.
struct ListenerEventsConfig : CollectorSettings {
  uint32_t max_series = 1000;  // distinct label sets of netstat_listener_opened_total
};

// TCP health per service port (BPF): counts and histograms per (netns, side, port).
struct TcpHealthConfig : CollectorSettings {
  uint32_t max_series = 2000;  // keys (namespace, side, port) the kernel's map may hold
};

// Sockets per process. Runs in the background by default: a walk of every process's fds
// is worth doing every 30 s, not on every scrape.
struct ProcessSocketsConfig : CollectorSettings {
  ProcessSocketsConfig() { interval = std::chrono::seconds(30); }
  std::vector<std::string> labels;  // beyond process: any of user, pid
  uint32_t max_processes = 30;      // the rest are summed under process="other"
};

struct InterfacesConfig : CollectorSettings {
  NameFilter filter;
};

// The `netstat -s` fields exported when the config names none: what the alert rules, the
// dashboard and an operator chasing drops use (node_exporter's default netstat set plus
// Tcp's EstabResets, AttemptFails and InCsumErrors, which the rules read, less UDP-Lite).
// `include: ".*"` gives every field; README "snmp" says why each is here.
inline constexpr const char* kDefaultSnmpFields =
    "^(Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs|InErrors)"
    "|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts|TCPOFOQueue|TCPRcvQDrop)"
    "|Tcp_(ActiveOpens|PassiveOpens|InSegs|OutSegs|RetransSegs|OutRsts|CurrEstab|InErrs"
    "|InCsumErrors|EstabResets|AttemptFails)"
    "|Udp6?_(InDatagrams|OutDatagrams|NoPorts|InErrors|RcvbufErrors|SndbufErrors))$";
// The fields read from every other network namespace (namespaces.mode all), on top of
// include/exclude: a pod's health in a few series, since a node may run a hundred pods.
inline constexpr const char* kDefaultSnmpNetnsFields =
    "^(Tcp_(RetransSegs|OutRsts|EstabResets|AttemptFails|InErrs)"
    "|TcpExt_(ListenOverflows|ListenDrops|TCPTimeouts|TCPSynRetrans)"
    "|Udp_(InErrors|RcvbufErrors|SndbufErrors|NoPorts))$";

struct SnmpConfig : CollectorSettings {
  SnmpConfig() { filter.include = Pattern::Compile(kDefaultSnmpFields); }
  NameFilter filter;  // on "Group_Field", for every namespace
  // Other namespaces' fields must also match this (unanchored search, like include).
  Pattern netns_include = Pattern::Compile(kDefaultSnmpNetnsFields);
};

struct RoutesConfig : CollectorSettings {
  bool all = false;  // netstat_route_info for every route, not only default routes
  uint32_t max = 1000;
};

struct MulticastConfig : CollectorSettings {
  bool group_labels = false;  // netstat_multicast_group_info per group address
};

struct WebConfig {
  std::string listen_address = ":10099";
  std::string telemetry_path = "/metrics";
  std::string tls_cert_file;
  std::string tls_key_file;
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash
};

struct PathsConfig {
  std::string procfs = "/proc";
  std::string sysfs = "/sys";
  std::string services = "/etc/services";
};

// Which network namespaces the socket-reading collectors cover.
struct NamespacesConfig {
  enum class Mode { kOwn, kAll };
  Mode mode = Mode::kOwn;
  uint32_t max = 200;  // foreign namespaces at most; the rest are counted as dropped
  // Where named namespaces are bind-mounted: `ip netns` and CNI, Docker.
  std::vector<std::string> bind_mount_dirs = {"/run/netns", "/run/docker/netns"};
};

struct LogConfig {
  std::string level = "info";     // debug | info | warn | error
  std::string format = "logfmt";  // logfmt | json
};

struct Config {
  std::string source;  // file it came from; empty for built-in defaults
  WebConfig web;
  PathsConfig paths;
  LogConfig log;
  NamespacesConfig namespaces;
  SocketsConfig sockets;
  ListenersConfig listeners;
  ListenerEventsConfig listener_events;
  TcpHealthConfig tcp_health;
  ProcessSocketsConfig process_sockets;
  InterfacesConfig interfaces;
  SnmpConfig snmp;
  RoutesConfig routes;
  MulticastConfig multicast;

  // The generic part (enabled, interval) of a collector's section, by collector name;
  // nullptr for an unknown name.
  const CollectorSettings* Settings(const std::string& collector) const;
  CollectorSettings* Settings(const std::string& collector);
};

}  // namespace netstat::config
