#include "collectors/snmp/snmp_parser.h"

#include <gtest/gtest.h>

#include <map>

#include "collectors/snmp/field_picker.h"
#include "tests/unit/fixture_util.h"

namespace netstat::snmp {
namespace {

using netstat::testing::ReadFixture;

std::map<std::string, double> ByKey(const ParseResult& r) {
  std::map<std::string, double> out;
  for (const auto& f : r.fields) out[f.group + "_" + f.name] = f.value;
  return out;
}

TEST(SnmpParser, ReadsEveryGroupOfACurrentKernel) {
  auto r = ParsePairedGroups(ReadFixture("proc/net/snmp"));
  EXPECT_TRUE(r.errors.empty());
  auto m = ByKey(r);
  EXPECT_EQ(m.at("Ip_Forwarding"), 2);
  EXPECT_EQ(m.at("Ip_OutTransmits"), 705);
  EXPECT_EQ(m.at("Tcp_MaxConn"), -1);  // the sign is kept
  EXPECT_EQ(m.at("IcmpMsg_InType3"), 41);
  EXPECT_EQ(m.at("IcmpMsg_OutType0"), 7);
  EXPECT_EQ(m.count("UdpLite_InDatagrams"), 1u);
  EXPECT_EQ(m.count("Icmp_OutRateLimitGlobal"), 1u);
}

TEST(SnmpParser, OlderKernelHasFewerFieldsAndHugeValuesSurvive) {
  auto r = ParsePairedGroups(ReadFixture("snmp/linux-4.19/net/snmp"));
  EXPECT_TRUE(r.errors.empty());
  auto m = ByKey(r);
  EXPECT_EQ(m.count("Ip_OutTransmits"), 0u);
  EXPECT_EQ(m.count("Icmp_OutRateLimitHost"), 0u);
  EXPECT_EQ(m.at("Ip_InReceives"), 18446744073709551615.0);
  EXPECT_GT(m.at("Ip_InReceives"), 9.2e18);  // not clipped at 2^63
}

TEST(SnmpParser, NetstatFileHasExtendedGroups) {
  auto r = ParsePairedGroups(ReadFixture("proc/net/netstat"));
  EXPECT_TRUE(r.errors.empty());
  auto m = ByKey(r);
  EXPECT_EQ(m.count("TcpExt_ListenOverflows"), 1u);
  EXPECT_EQ(m.count("IpExt_InOctets"), 1u);
  EXPECT_EQ(m.count("MPTcpExt_MPCapableSYNRX"), 1u);
  EXPECT_GT(r.fields.size(), 200u);
}

TEST(SnmpParser, UnknownGroupsAppearWithoutCodeChanges) {
  auto r = ParsePairedGroups("FutureExt: NewThing OtherThing\nFutureExt: 3 4\n");
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(ByKey(r).at("FutureExt_OtherThing"), 4);
}

TEST(SnmpParser, MismatchDropsTheGroupAndBadNumberDropsTheField) {
  auto r = ParsePairedGroups(ReadFixture("snmp/bad/mismatch"));
  auto m = ByKey(r);
  EXPECT_EQ(m.count("Ip_Forwarding"), 0u);  // 3 names, 2 values: whole group dropped
  EXPECT_EQ(m.at("Tcp_ActiveOpens"), 5);
  EXPECT_EQ(m.count("Tcp_PassiveOpens"), 0u);  // "x"
  EXPECT_EQ(m.at("Tcp_MaxConn"), -1);
  EXPECT_EQ(m.count("Udp_InDatagrams"), 0u);  // header without a value line
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_EQ(r.errors[0], "line 2: Ip has 3 names but 2 values");
  EXPECT_NE(r.errors[1].find("line 4: Tcp_PassiveOpens: not a number"), std::string::npos);
  EXPECT_EQ(r.errors[2], "line 5: group Udp has no value line");
}

TEST(SnmpParser, TruncatedFileKeepsTheCompleteGroups) {
  auto r = ParsePairedGroups(ReadFixture("snmp/bad/truncated"));
  auto m = ByKey(r);
  EXPECT_EQ(m.at("Ip_Forwarding"), 2);
  EXPECT_FALSE(r.errors.empty());
}

TEST(SnmpParser, GarbageAndEmptyInputNeverCrash) {
  auto g = ParsePairedGroups(ReadFixture("snmp/bad/garbage"));
  EXPECT_TRUE(g.fields.empty());
  EXPECT_FALSE(g.errors.empty());
  auto e = ParsePairedGroups("");
  EXPECT_TRUE(e.fields.empty());
  EXPECT_TRUE(e.errors.empty());
  auto header_only = ParsePairedGroups("Ip: Forwarding\n");
  EXPECT_TRUE(header_only.fields.empty());
  EXPECT_EQ(header_only.errors.size(), 1u);
}

TEST(Snmp6Parser, SplitsGroupAtTheSix) {
  auto r = ParseSnmp6(ReadFixture("proc/net/snmp6"));
  EXPECT_TRUE(r.errors.empty());
  auto m = ByKey(r);
  EXPECT_EQ(m.count("Ip6_InReceives"), 1u);
  EXPECT_EQ(m.count("Icmp6_InMsgs"), 1u);
  EXPECT_EQ(m.count("Udp6_InDatagrams"), 1u);
  EXPECT_EQ(m.count("UdpLite6_InErrors"), 1u);
  EXPECT_EQ(r.fields.size(), 90u);
}

TEST(Snmp6Parser, BadLinesAreDroppedOneByOne) {
  auto r = ParseSnmp6(ReadFixture("snmp/bad/snmp6"));
  auto m = ByKey(r);
  EXPECT_EQ(m.at("Ip6_InReceives"), 10);
  EXPECT_EQ(m.at("UdpLite6_InErrors"), 3);
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(r.errors.size(), 4u);  // missing value, not a number, no group, extra column
}

TEST(ParseInteger, Limits) {
  double v;
  EXPECT_TRUE(ParseInteger("18446744073709551615", &v));
  EXPECT_TRUE(ParseInteger("-9223372036854775808", &v));
  EXPECT_EQ(v, -9223372036854775808.0);
  EXPECT_FALSE(ParseInteger("18446744073709551616", &v));
  EXPECT_FALSE(ParseInteger("12a", &v));
  EXPECT_FALSE(ParseInteger("", &v));
  EXPECT_FALSE(ParseInteger("-", &v));
  EXPECT_FALSE(ParseInteger("+5", &v));
}

// The picker keeps what ParsePairedGroups gives for the wanted fields, reports what is
// wrong in them, and stays silent about columns nobody wants.
TEST(FieldPicker, KeepsOnlyWantedFieldsAsTheFullParserReadsThem) {
  FieldPicker picker([](const std::string& key) { return key.rfind("Tcp_", 0) == 0; });
  const std::string text = ReadFixture("proc/net/snmp");
  for (int round = 0; round < 2; ++round) {  // the second from the header cache
    ParseResult picked = picker.Parse(text);
    EXPECT_TRUE(picked.errors.empty());
    std::vector<std::string> want, got;
    for (const auto& f : ParsePairedGroups(text).fields) {
      if (f.group == "Tcp") want.push_back(f.name + "=" + std::to_string(f.value));
    }
    for (const auto& f : picked.fields) got.push_back(f.name + "=" + std::to_string(f.value));
    EXPECT_EQ(got, want);
  }
  ParseResult bad = picker.Parse(
      "Udp: InDatagrams NoPorts\nUdp: x 1\nTcp: ActiveOpens RetransSegs\nTcp: 3 x4\n"
      "Tcp: ActiveOpens\nTcp: 1 2\nTcp: ActiveOpens\ngarbage\nTcp: ActiveOpens");
  ASSERT_EQ(bad.fields.size(), 1u);
  EXPECT_EQ(bad.fields[0].name, "ActiveOpens");
  EXPECT_EQ(bad.fields[0].value, 3);
  EXPECT_EQ(bad.errors,
            (std::vector<std::string>{"line 4: Tcp_RetransSegs: not a number: \"x4\"",
                                      "line 6: Tcp has 1 names but 2 values",
                                      "line 7: group Tcp has no value line",
                                      "line 8: expected \"Group:\" header, got \"garbage\"",
                                      "line 9: group Tcp has no value line"}));
}

// With every field wanted, the picker reads the kernel's files (and the damaged ones of the
// fixtures) as ParsePairedGroups does, the first time (headers learnt) and the next (known).
TEST(FieldPicker, EveryFieldWantedIsTheFullParse) {
  FieldPicker picker([](const std::string&) { return true; });
  for (const char* file :
       {"proc/net/snmp", "proc/net/netstat", "snmp/linux-4.19/net/snmp",
        "snmp/linux-4.19/net/netstat", "snmp/pod/net/snmp", "snmp/pod/net/netstat",
        "snmp/pod-broken/net/snmp", "snmp/pod-broken/net/netstat", "snmp/bad/mismatch",
        "snmp/bad/truncated"}) {
    const std::string text = ReadFixture(file);
    const ParseResult full = ParsePairedGroups(text);
    for (int round = 0; round < 2; ++round) {
      const ParseResult picked = picker.Parse(text);
      EXPECT_EQ(ByKey(picked), ByKey(full)) << file << " round " << round;
      EXPECT_EQ(picked.fields.size(), full.fields.size()) << file;
      EXPECT_EQ(picked.errors.empty(), full.errors.empty()) << file;
    }
  }
}

// Ids name the same field in every text: a publisher maps them to families once.
TEST(FieldPicker, IdsAreTheSameForTheSameFieldInEveryText) {
  FieldPicker picker([](const std::string& key) {
    return key == "Tcp_RetransSegs" || key == "TcpExt_ListenOverflows";
  });
  std::vector<PickedValue> a, b;
  std::vector<std::string> errors;
  picker.Parse(ReadFixture("snmp/pod/net/snmp"), &a, &errors);
  picker.Parse(ReadFixture("snmp/pod/net/netstat"), &a, &errors);
  picker.Parse(ReadFixture("proc/net/netstat"), &b, &errors);
  picker.Parse(ReadFixture("proc/net/snmp"), &b, &errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(picker.keys().size(), 2u);
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(picker.keys()[a[0].id].key, "Tcp_RetransSegs");
  EXPECT_EQ(picker.keys()[a[0].id].group, "Tcp");
  EXPECT_EQ(picker.keys()[a[0].id].name, "RetransSegs");
  EXPECT_EQ(a[0].value, 42);
  EXPECT_EQ(picker.keys()[a[1].id].key, "TcpExt_ListenOverflows");
  EXPECT_EQ(a[1].value, 7);
  EXPECT_EQ(b[0].id, a[1].id);  // netstat first this time
  EXPECT_EQ(b[1].id, a[0].id);
  // Whether a text has a group with a wanted field: its reader may skip it when not.
  std::vector<PickedValue> none;
  EXPECT_FALSE(picker.Parse("Udp: NoPorts\nUdp: 1\n", &none, &errors));
  EXPECT_TRUE(errors.empty());
  EXPECT_TRUE(picker.Parse("Tcp: RetransSegs\nTcp: x\n", &none, &errors));  // even a bad one
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(errors.size(), 1u);
}

// A known header is found again only as a whole line; blanks at its ends, a cut in it, or
// a header in another place of the text go the long way and give the same answer.
TEST(FieldPicker, KnownHeadersAndCutTexts) {
  FieldPicker picker([](const std::string& key) { return key.rfind("Tcp_", 0) == 0; });
  auto values = [&](const std::string& text) {
    const ParseResult r = picker.Parse(text);
    std::string out;
    for (const auto& f : r.fields) out += f.name + "=" + std::to_string(int(f.value)) + " ";
    for (const auto& e : r.errors) out += "[" + e + "] ";
    return out;
  };
  const std::string tcp = "Tcp: ActiveOpens RetransSegs\nTcp: 3 4\n";
  EXPECT_EQ(values(tcp), "ActiveOpens=3 RetransSegs=4 ");
  EXPECT_EQ(values(tcp), "ActiveOpens=3 RetransSegs=4 ");
  EXPECT_EQ(values("  Tcp: ActiveOpens RetransSegs \r\nTcp: 5 6\r\n"),
            "ActiveOpens=5 RetransSegs=6 ");
  EXPECT_EQ(values("Udp: NoPorts\nUdp: 1\n" + tcp + "Tcp: ActiveOpens RetransSegs"),
            "ActiveOpens=3 RetransSegs=4 [line 5: group Tcp has no value line] ");
  EXPECT_EQ(values("Tcp: ActiveOpens RetransSegs\nTcp: 3"),
            "[line 2: Tcp has 2 names but 1 values] ");
  EXPECT_EQ(values("Tcp: ActiveOpens RetransSegsX\nTcp: 3 4\n"), "ActiveOpens=3 RetransSegsX=4 ");
  EXPECT_EQ(values("Tcp: ActiveOpens Retrans"), "[line 1: group Tcp has no value line] ");
  EXPECT_EQ(values("Tcp: ActiveOpens RetransSegs\nTcp:\t7\t\t8 \n"),
            "ActiveOpens=7 RetransSegs=8 ");
  EXPECT_EQ(values("Tcp: ActiveOpens RetransSegs\nTcp:  7 8 9\n"),
            "[line 2: Tcp has 2 names but 3 values] ");
  EXPECT_EQ(values("\n\nTcp: ActiveOpens RetransSegs\n\nTcp: 1 2\n"),
            "[line 3: group Tcp has no value line] [line 5: group Tcp has no value line] ");
}

// Whatever the text, the picker returns: every cut of a real file, and garbage.
TEST(FieldPicker, EveryCutOfAFileAndGarbageNeverCrash) {
  FieldPicker picker([](const std::string& key) { return key.find("Tcp") == 0; });
  const std::string text = ReadFixture("proc/net/snmp") + ReadFixture("proc/net/netstat");
  for (size_t n = 0; n <= text.size(); n += 7) {
    const ParseResult r = picker.Parse(std::string_view(text).substr(0, n));
    EXPECT_LE(r.fields.size(), ParsePairedGroups(text).fields.size());
  }
  const ParseResult g = picker.Parse(ReadFixture("snmp/bad/garbage"));
  EXPECT_TRUE(g.fields.empty());
  EXPECT_FALSE(g.errors.empty());
  EXPECT_TRUE(picker.Parse("").errors.empty());
  EXPECT_EQ(picker.Parse(ReadFixture("proc/net/snmp")).fields.size(), 15u);
}

}  // namespace
}  // namespace netstat::snmp
