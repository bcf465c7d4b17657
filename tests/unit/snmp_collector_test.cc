#include "collectors/snmp/snmp_collector.h"

#include <gtest/gtest.h>

#include <map>

#include "tests/unit/fixture_util.h"

namespace netstat::snmp {
namespace {

using netstat::testing::FixturePath;

struct Collected {
  std::map<std::string, prometheus::MetricFamily> families;
  std::string error;
};

Collected CollectSnmp(const config::Config& config, const std::string& procfs) {
  procfs::Root root(procfs, FixturePath("sys"));
  auto c = MakeSnmpCollector({root, config});
  std::vector<prometheus::MetricFamily> out;
  Collected r;
  r.error = c->Collect(&out);
  for (auto& f : out) r.families[f.name] = f;
  return r;
}

config::Config EveryField() {
  config::Config c;
  c.snmp.filter.include = config::Pattern::Compile(".*");
  return c;
}

TEST(SnmpCollector, TypesAndNamesFollowTheKernel) {
  auto r = CollectSnmp(EveryField(), FixturePath("proc"));
  EXPECT_EQ(r.error, "");
  const auto& active = r.families.at("netstat_Tcp_ActiveOpens_total");
  EXPECT_EQ(active.type, prometheus::MetricType::Counter);
  EXPECT_EQ(active.metric.at(0).counter.value, 13);
  EXPECT_EQ(active.help, "Field ActiveOpens of group Tcp in /proc/net/snmp (netstat -s).");
  const auto& maxconn = r.families.at("netstat_Tcp_MaxConn");
  EXPECT_EQ(maxconn.type, prometheus::MetricType::Gauge);
  EXPECT_EQ(maxconn.metric.at(0).gauge.value, -1);
  for (const char* gauge :
       {"netstat_Ip_Forwarding", "netstat_Ip_DefaultTTL", "netstat_Tcp_RtoAlgorithm",
        "netstat_Tcp_RtoMin", "netstat_Tcp_RtoMax", "netstat_Tcp_CurrEstab"}) {
    EXPECT_EQ(r.families.at(gauge).type, prometheus::MetricType::Gauge) << gauge;
  }
  EXPECT_EQ(r.families.count("netstat_TcpExt_ListenOverflows_total"), 1u);
  EXPECT_EQ(r.families.count("netstat_Ip6_InReceives_total"), 1u);
  EXPECT_EQ(r.families.count("netstat_IcmpMsg_InType3_total"), 1u);
}

TEST(SnmpCollector, TheDefaultIsACuratedSetAndIncludeAllGivesEveryField) {
  auto curated = CollectSnmp(config::Config{}, FixturePath("proc"));
  auto every = CollectSnmp(EveryField(), FixturePath("proc"));
  EXPECT_EQ(curated.error, "");
  // What deploy/prometheus and deploy/grafana read must be in the default set.
  for (const char* name :
       {"netstat_TcpExt_ListenOverflows_total", "netstat_TcpExt_ListenDrops_total",
        "netstat_Tcp_AttemptFails_total", "netstat_Tcp_EstabResets_total",
        "netstat_Tcp_InCsumErrors_total", "netstat_Tcp_InErrs_total", "netstat_Tcp_OutRsts_total",
        "netstat_Tcp_OutSegs_total", "netstat_Tcp_RetransSegs_total", "netstat_Tcp_CurrEstab",
        "netstat_Ip_Forwarding", "netstat_Udp_InDatagrams_total", "netstat_Ip6_InOctets_total"}) {
    EXPECT_EQ(curated.families.count(name), 1u) << name;
  }
  for (const char* name :
       {"netstat_TcpExt_TCPHPHits_total", "netstat_Tcp_MaxConn", "netstat_Ip6_InReceives_total",
        "netstat_UdpLite_InErrors_total", "netstat_IcmpMsg_InType3_total"}) {
    EXPECT_EQ(curated.families.count(name), 0u) << name;
    EXPECT_EQ(every.families.count(name), 1u) << name;
  }
  EXPECT_LT(curated.families.size(), 50u);
  EXPECT_GT(every.families.size(), 300u);
}

TEST(SnmpCollector, MissingFilesAreSkippedSilently) {
  // linux-4.19 has snmp and netstat but no snmp6 (an IPv6-less host).
  auto r = CollectSnmp(EveryField(), FixturePath("snmp/linux-4.19"));
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.families.count("netstat_Ip_InReceives_total"), 1u);
  EXPECT_EQ(r.families.count("netstat_Ip6_InReceives_total"), 0u);
}

TEST(SnmpCollector, IncludeAndExcludeFilterGroupField) {
  config::Config c;
  c.snmp.filter.include = config::Pattern::Compile("^(Tcp|TcpExt)_");
  c.snmp.filter.exclude = config::Pattern::Compile("^TcpExt_TCP");
  auto r = CollectSnmp(c, FixturePath("proc"));
  EXPECT_EQ(r.families.count("netstat_Tcp_ActiveOpens_total"), 1u);
  EXPECT_EQ(r.families.count("netstat_TcpExt_ListenOverflows_total"), 1u);
  EXPECT_EQ(r.families.count("netstat_TcpExt_TCPTimeouts_total"), 0u);
  EXPECT_EQ(r.families.count("netstat_Ip_Forwarding"), 0u);
}

TEST(SnmpCollector, MalformedFileReportsFailureButKeepsTheRest) {
  // tests/fixtures/snmp/broken/net/snmp mismatches; netstat there is fine.
  auto r = CollectSnmp(config::Config{}, FixturePath("snmp/broken"));
  EXPECT_NE(r.error.find("broken/net/snmp: line 2: Ip has 3 names but 2 values"), std::string::npos)
      << r.error;
  EXPECT_EQ(r.families.count("netstat_Tcp_ActiveOpens_total"), 1u);
  EXPECT_EQ(r.families.count("netstat_TcpExt_ListenOverflows_total"), 1u);
}

TEST(SnmpCollector, UnreadableFileIsAFailure) {
  auto r = CollectSnmp(config::Config{}, FixturePath("snmp/unreadable"));
  EXPECT_NE(r.error.find("net/snmp"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace netstat::snmp
