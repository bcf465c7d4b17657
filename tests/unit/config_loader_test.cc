#include "config/config_loader.h"

#include <gtest/gtest.h>

#include "config/values.h"

namespace netstat::config {
namespace {

std::string ErrorOf(const std::string& yaml) {
  try {
    LoadConfigString(yaml, "c.yml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigLoader, EmptyFileGivesDefaults) {
  Config c = LoadConfigString("", "c.yml");
  EXPECT_EQ(c.web.listen_address, ":10099");
  EXPECT_EQ(c.web.telemetry_path, "/metrics");
  EXPECT_EQ(c.paths.procfs, "/proc");
  EXPECT_EQ(c.paths.services, "/etc/services");
  EXPECT_FALSE(c.sockets.enabled.has_value());
  EXPECT_EQ(c.listeners.max_listeners, 1000u);
  EXPECT_EQ(c.listener_events.max_series, 1000u);
  EXPECT_TRUE(c.snmp.filter.Passes("Tcp_ActiveOpens"));
  EXPECT_TRUE(c.snmp.filter.Passes("TcpExt_ListenOverflows"));
  EXPECT_FALSE(c.snmp.filter.Passes("TcpExt_TCPHPHits"));  // curated by default
  EXPECT_FALSE(c.snmp.filter.Passes("Tcp_ActiveOpensX"));  // anchored
  EXPECT_TRUE(c.snmp.netns_include.Search("Tcp_RetransSegs"));
  EXPECT_FALSE(c.snmp.netns_include.Search("Tcp_ActiveOpens"));
  EXPECT_EQ(c.listeners.labels, (std::vector<std::string>{"process", "user"}));
}

TEST(ConfigLoader, TheSpecExampleLoads) {
  Config c = LoadConfigString(R"(
web:
  listen_address: "127.0.0.1:9999"
  telemetry_path: /metrics
paths: {procfs: /host/proc, sysfs: /host/sys, services: /etc/services}
log: {level: debug, format: json}
collectors:
  sockets:    {enabled: true, remote_ports: [5432, 6379]}
  listeners:
    enabled: true
    labels: [process, user, pid]
    max_listeners: 50
    expected:
      - {protocol: tcp, port: 22, process: sshd}
      - {port_range: "30000-32767"}
      - {address: "0:0::1", family: ipv6, user: root}
  interfaces: {enabled: true, include: ".*", exclude: "^veth"}
  snmp:       {enabled: false, interval: 1m30s, include: "^Tcp", exclude: "^$", netns_include: "_In"}
  routes:     {enabled: true, all: true, max: 10}
  multicast:  {enabled: true, group_labels: true}
  listener_events: {enabled: false, max_series: 20}
)",
                              "c.yml");
  EXPECT_EQ(c.web.listen_address, "127.0.0.1:9999");
  EXPECT_EQ(c.paths.procfs, "/host/proc");
  EXPECT_EQ(c.log.format, "json");
  EXPECT_EQ(c.sockets.remote_ports, (std::vector<uint16_t>{5432, 6379}));
  EXPECT_EQ(c.listeners.max_listeners, 50u);
  ASSERT_EQ(c.listeners.expected.size(), 3u);
  EXPECT_EQ(*c.listeners.expected[0].port, 22);
  EXPECT_TRUE(c.listeners.expected[0].process->Match("sshd"));
  EXPECT_FALSE(c.listeners.expected[0].process->Match("sshd2"));
  EXPECT_EQ(c.listeners.expected[1].port_range->first, 30000);
  EXPECT_EQ(*c.listeners.expected[2].address, "::1");
  EXPECT_FALSE(c.interfaces.filter.Passes("veth12"));
  EXPECT_TRUE(c.interfaces.filter.Passes("eth0"));
  EXPECT_EQ(*c.snmp.enabled, false);
  EXPECT_EQ(c.snmp.interval, std::chrono::milliseconds(90000));
  EXPECT_TRUE(c.snmp.filter.Passes("TcpExt_TCPHPHits"));
  EXPECT_TRUE(c.snmp.netns_include.Search("Tcp_InSegs"));
  EXPECT_FALSE(c.snmp.netns_include.Search("Tcp_RetransSegs"));
  EXPECT_TRUE(c.routes.all);
  EXPECT_TRUE(c.multicast.group_labels);
  EXPECT_EQ(*c.listener_events.enabled, false);
  EXPECT_EQ(c.listener_events.max_series, 20u);
  EXPECT_EQ(c.Settings("listener_events"), &c.listener_events);
  EXPECT_EQ(c.Settings("snmp"), &c.snmp);
  EXPECT_EQ(c.Settings("nope"), nullptr);
}

TEST(ConfigLoader, Namespaces) {
  Config d = LoadConfigString("", "c.yml");
  EXPECT_EQ(d.namespaces.mode, NamespacesConfig::Mode::kOwn);
  EXPECT_EQ(d.namespaces.max, 200u);
  EXPECT_EQ(d.namespaces.bind_mount_dirs,
            (std::vector<std::string>{"/run/netns", "/run/docker/netns"}));
  Config c = LoadConfigString(R"(
namespaces: {mode: all, max: 3, bind_mount_dirs: [/host/run/netns]}
collectors:
  listeners:
    expected:
      - {port: 22, netns: ""}
      - {port: 8080, netns: "pod-.*"}
)",
                              "c.yml");
  EXPECT_EQ(c.namespaces.mode, NamespacesConfig::Mode::kAll);
  EXPECT_EQ(c.namespaces.max, 3u);
  EXPECT_EQ(c.namespaces.bind_mount_dirs, (std::vector<std::string>{"/host/run/netns"}));
  ASSERT_EQ(c.listeners.expected.size(), 2u);
  EXPECT_TRUE(c.listeners.expected[0].netns->Match(""));
  EXPECT_FALSE(c.listeners.expected[0].netns->Match("pod-a"));
  EXPECT_TRUE(c.listeners.expected[1].netns->Match("pod-a"));
  EXPECT_EQ(ErrorOf("namespaces: {mode: some}\n"),
            "c.yml:1:20: namespaces.mode: must be own or all");
  EXPECT_EQ(ErrorOf("namespaces:\n  maxi: 3\n"), "c.yml:2:3: namespaces.maxi: unknown key");
  EXPECT_NE(ErrorOf("namespaces: {bind_mount_dirs: [run/netns]}\n").find("must be absolute"),
            std::string::npos);
  EXPECT_NE(ErrorOf("collectors:\n  listeners:\n    expected:\n      - {netns: \"(\"}\n")
                .find("c.yml:4:17: collectors.listeners.expected[0].netns: invalid regular"),
            std::string::npos);
}

TEST(ConfigLoader, InterfaceRules) {
  const Config c = LoadConfigString(
      "collectors:\n  listeners:\n    expected:\n"
      "      - {port: 8082, interface: lo}\n      - {interface: \"\"}\n",
      "c.yml");
  ASSERT_EQ(c.listeners.expected.size(), 2u);
  EXPECT_TRUE(c.listeners.expected[0].interface->Match("lo"));
  EXPECT_FALSE(c.listeners.expected[0].interface->Match("lo0"));
  EXPECT_TRUE(c.listeners.expected[1].interface->Match(""));
  EXPECT_FALSE(c.listeners.expected[1].interface->Match("v0"));
  EXPECT_FALSE(c.listeners.expected[0].netns.has_value());
  EXPECT_NE(ErrorOf("collectors:\n  listeners:\n    expected:\n      - {interface: \"[v\"}\n")
                .find("c.yml:4:21: collectors.listeners.expected[0].interface: invalid regular"),
            std::string::npos);
  EXPECT_EQ(ErrorOf("collectors:\n  listeners:\n    expected:\n      - {interface: [lo]}\n"),
            "c.yml:4:21: collectors.listeners.expected[0].interface: must be a string");
}

// yaml-cpp would keep both entries and answer with one: a repeated key is refused at any
// depth, at the position of its second occurrence.
TEST(ConfigLoader, DuplicateKeys) {
  EXPECT_EQ(ErrorOf("collectors:\n  snmp: {enabled: false}\ncollectors:\n  routes: {}\n"),
            "c.yml:3:1: collectors: duplicate key");
  EXPECT_EQ(ErrorOf("collectors:\n  listeners:\n    max_listeners: 5\n    max_listeners: 6\n"),
            "c.yml:4:5: collectors.listeners.max_listeners: duplicate key");
  EXPECT_EQ(ErrorOf("collectors:\n  listeners:\n    expected:\n      - {port: 22}\n"
                    "      - {port: 80, process: a, port: 81}\n"),
            "c.yml:5:32: collectors.listeners.expected[1].port: duplicate key");
  EXPECT_EQ(ErrorOf("web: {basic_auth_users: {me: x, me: y}}\n"),
            "c.yml:1:33: web.basic_auth_users.me: duplicate key");
  // Before any other check: the duplicate is named even inside an unknown key.
  EXPECT_EQ(ErrorOf("bogus: {a: 1, a: 2}\n"), "c.yml:1:15: bogus.a: duplicate key");
  // The same key in two mappings is no duplicate.
  EXPECT_EQ(ErrorOf("collectors:\n  snmp: {enabled: true}\n  routes: {enabled: true}\n"), "");
}

TEST(ConfigLoader, ProcessSockets) {
  Config d = LoadConfigString("", "c.yml");
  EXPECT_EQ(d.process_sockets.interval, std::chrono::seconds(30));  // background by default
  EXPECT_EQ(d.process_sockets.max_processes, 30u);
  EXPECT_TRUE(d.process_sockets.labels.empty());
  EXPECT_EQ(d.Settings("process_sockets"), &d.process_sockets);
  Config c = LoadConfigString(
      "collectors:\n  process_sockets: {interval: 0s, labels: [user, pid], max_processes: 5}\n",
      "c.yml");
  EXPECT_EQ(c.process_sockets.interval.count(), 0);  // 0s: on each scrape
  EXPECT_EQ(c.process_sockets.labels, (std::vector<std::string>{"user", "pid"}));
  EXPECT_EQ(c.process_sockets.max_processes, 5u);
  EXPECT_NE(ErrorOf("collectors:\n  process_sockets:\n    labels: [user, exe]\n")
                .find("c.yml:3:20: collectors.process_sockets.labels: unknown label \"exe\""),
            std::string::npos);
  EXPECT_NE(ErrorOf("collectors:\n  process_sockets: {max_processes: 0}\n")
                .find("c.yml:2:36: collectors.process_sockets.max_processes: must be a whole"),
            std::string::npos);
  EXPECT_EQ(ErrorOf("collectors:\n  process_sockets: {pids: true}\n"),
            "c.yml:2:21: collectors.process_sockets.pids: unknown key");
}

TEST(ConfigLoader, ErrorsNameFileLineColumnAndKey) {
  EXPECT_EQ(ErrorOf("collectors:\n  snmp:\n    includ: x\n"),
            "c.yml:3:5: collectors.snmp.includ: unknown key");
  EXPECT_EQ(ErrorOf("collectors:\n  interfaces:\n    netns_include: x\n"),
            "c.yml:3:5: collectors.interfaces.netns_include: unknown key");
  EXPECT_EQ(ErrorOf("bogus: 1\n"), "c.yml:1:1: bogus: unknown key");
  EXPECT_EQ(ErrorOf("collectors:\n  sockets: {enabled: yes please}\n"),
            "c.yml:2:22: collectors.sockets.enabled: must be true or false");
  EXPECT_NE(ErrorOf("collectors:\n  snmp: {include: \"(\"}\n")
                .find("c.yml:2:19: collectors.snmp.include: invalid regular expression \"(\""),
            std::string::npos);
  EXPECT_NE(ErrorOf("collectors:\n  routes: {interval: 5 minutes}\n")
                .find("c.yml:2:22: collectors.routes.interval: invalid duration"),
            std::string::npos);
  EXPECT_NE(ErrorOf("web:\n  listen_address: nowhere\n")
                .find("c.yml:2:19: web.listen_address: invalid address"),
            std::string::npos);
  EXPECT_NE(ErrorOf("collectors:\n  listeners:\n    expected:\n      - {address: 300.1.1.1}\n")
                .find("c.yml:4:19: collectors.listeners.expected[0].address: invalid address"),
            std::string::npos);
  EXPECT_EQ(ErrorOf("collectors:\n  listeners:\n    expected:\n      - {port: 70000}\n"),
            "c.yml:4:16: collectors.listeners.expected[0].port: must be a whole number from 0 "
            "to 65535");
  EXPECT_NE(ErrorOf("collectors:\n  listeners:\n    expected:\n      - {port_range: \"9-1\"}\n")
                .find("expected[0].port_range: must be"),
            std::string::npos);
  EXPECT_NE(ErrorOf("collectors:\n  listeners:\n    labels: [pid, color]\n")
                .find("c.yml:3:19: collectors.listeners.labels: unknown label \"color\""),
            std::string::npos);
  EXPECT_NE(ErrorOf("collectors:\n  listeners:\n    expected:\n      - {}\n").find("non-empty"),
            std::string::npos);
  EXPECT_NE(ErrorOf("log: {level: loud}\n").find("c.yml:1:14: log.level: invalid level"),
            std::string::npos);
  EXPECT_NE(ErrorOf("web:\n  basic_auth_users: {me: plaintext}\n").find("bcrypt"),
            std::string::npos);
  EXPECT_EQ(ErrorOf("collectors:\n  listener_events: {max_series: 0}\n"),
            "c.yml:2:33: collectors.listener_events.max_series: must be a whole number from 1 "
            "to 1000000");
  EXPECT_EQ(ErrorOf("collectors:\n  listener_events: {udp: true}\n"),
            "c.yml:2:21: collectors.listener_events.udp: unknown key");
  EXPECT_NE(ErrorOf("web: [1, 2]\n").find("web: must be a mapping"), std::string::npos);
}

TEST(ConfigLoader, SocketsSource) {
  using Source = SocketsConfig::Source;
  EXPECT_EQ(LoadConfigString("", "c.yml").sockets.source, Source::kAuto);
  for (auto [text, want] :
       {std::pair{"auto", Source::kAuto}, std::pair{"netlink", Source::kNetlink},
        std::pair{"bpf", Source::kBpf}}) {
    const Config c =
        LoadConfigString(std::string("collectors:\n  sockets: {source: ") + text + "}\n", "c.yml");
    EXPECT_EQ(c.sockets.source, want) << text;
  }
  EXPECT_EQ(ErrorOf("collectors:\n  sockets:\n    source: ebpf\n"),
            "c.yml:3:13: collectors.sockets.source: must be auto, netlink or bpf");
  EXPECT_EQ(ErrorOf("collectors:\n  sockets: {source: [bpf]}\n"),
            "c.yml:2:21: collectors.sockets.source: must be a string");
}

TEST(ConfigLoader, SocketsRtt) {
  EXPECT_TRUE(LoadConfigString("", "c.yml").sockets.rtt);
  EXPECT_FALSE(LoadConfigString("collectors:\n  sockets: {rtt: false}\n", "c.yml").sockets.rtt);
  EXPECT_EQ(ErrorOf("collectors:\n  sockets:\n    rtt: sometimes\n"),
            "c.yml:3:10: collectors.sockets.rtt: must be true or false");
}

TEST(ConfigLoader, YamlSyntaxErrorsHaveAPosition) {
  std::string e = ErrorOf("collectors:\n  snmp: {include: [\n");
  EXPECT_EQ(e.rfind("c.yml:", 0), 0u) << e;
}

TEST(ConfigLoader, MissingFileIsAClearError) {
  try {
    LoadConfigFile("/nonexistent/netstat_exporter.yml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "/nonexistent/netstat_exporter.yml: cannot read the config file: No such file or "
              "directory");
  }
}

TEST(Values, Durations) {
  EXPECT_EQ(ParseDuration("30s").count(), 30000);
  EXPECT_EQ(ParseDuration("1m30s").count(), 90000);
  EXPECT_EQ(ParseDuration("250ms").count(), 250);
  EXPECT_EQ(ParseDuration("2h").count(), 7200000);
  EXPECT_THROW(ParseDuration("30"), std::invalid_argument);
  EXPECT_THROW(ParseDuration("s"), std::invalid_argument);
  EXPECT_THROW(ParseDuration("-1s"), std::invalid_argument);
  EXPECT_THROW(ParseDuration("5y"), std::invalid_argument);
}

TEST(Values, ListenAddresses) {
  EXPECT_EQ(ParseListenAddress(":10099").port, 10099);
  EXPECT_EQ(ParseListenAddress(":10099").host, "");
  EXPECT_EQ(ParseListenAddress("[::1]:10099").host, "::1");
  EXPECT_EQ(ParseListenAddress("127.0.0.1:0").port, 0);
  EXPECT_THROW(ParseListenAddress("127.0.0.1"), std::invalid_argument);
  EXPECT_THROW(ParseListenAddress("::1:10099"), std::invalid_argument);
  EXPECT_THROW(ParseListenAddress(":70000"), std::invalid_argument);
  EXPECT_THROW(ParseListenAddress("[nope]:1"), std::invalid_argument);
}

}  // namespace
}  // namespace netstat::config
