#include <gtest/gtest.h>

#include <string>

#include "readers/procfs/root.h"
#include "readers/proctable/proc_parsers.h"

namespace netstat::proctable {
namespace {

using namespace std::string_literals;

TEST(ParseStat, RealLine) {
  auto s = ParseStat(
      "1234 (sshd) S 1 1234 1234 0 -1 4194560 1529 0 12 0 3 5 0 0 20 0 1 0 1820 16805888 "
      "2310 18446744073709551615 1 1 0 0 0 0 0 4096 81923 0 0 0 17 1 0 0 0 0 0\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->comm, "sshd");
  EXPECT_EQ(s->starttime, 1820u);
  EXPECT_EQ(s->state, 'S');
  EXPECT_EQ(s->flags, 4194560u);
  EXPECT_EQ(s->flags & kPfExiting, 0u);
}

TEST(ParseStat, ExitingStateAndBadFlags) {
  auto s = ParseStat("5 (x) Z 1 1 1 0 -1 4194564 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, 'Z');
  EXPECT_NE(s->flags & kPfExiting, 0u);
  EXPECT_FALSE(ParseStat("5 (x) Z 1 1 1 0 -1 4x 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0\n"));
  EXPECT_FALSE(ParseStat("5 (x) ZZ 1 1 1 0 -1 4 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0\n"));
}

TEST(ParseStatusEffectiveUid, RealTruncatedGarbage) {
  EXPECT_EQ(ParseStatusEffectiveUid("Name:\tsshd\nUmask:\t0022\nUid:\t1000\t33\t33\t33\nGid:\t0\n"),
            33u);
  EXPECT_EQ(ParseStatusEffectiveUid("Uid:\t0\t0\t0\t0"), 0u);
  EXPECT_FALSE(ParseStatusEffectiveUid("Name:\tx\nUid:\t1000\n"));
  EXPECT_FALSE(ParseStatusEffectiveUid("Uid:\t1\tx\t1\t1\n"));
  EXPECT_FALSE(ParseStatusEffectiveUid("Name:\tx\nXUid:\t1\t2\n"));
  EXPECT_FALSE(ParseStatusEffectiveUid(""));
}

TEST(ParseStat, CommWithSpacesAndParens) {
  auto s = ParseStat("77 (a) b (c)) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 987654321 0 0\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->comm, "a) b (c)");
  EXPECT_EQ(s->starttime, 987654321u);
}

TEST(ParseStat, TruncatedGarbageEmpty) {
  EXPECT_FALSE(ParseStat("1234 (sshd) S 1 1234 1234 0 -1 4194560"));
  EXPECT_FALSE(ParseStat("1234 sshd S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0"));
  EXPECT_FALSE(ParseStat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5x 0 0"));
  EXPECT_FALSE(ParseStat(""));
  EXPECT_FALSE(ParseStat(")("));
}

TEST(ParseStat, FixtureFile) {
  std::string text;
  ASSERT_EQ(procfs::ReadFile(NETSTAT_FIXTURES "/proc/2345/stat", &text), 0);
  auto s = ParseStat(text);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->comm, "systemd-resolve");
  EXPECT_EQ(s->starttime, 2250u);
}

TEST(ParseSocketLink, Forms) {
  EXPECT_EQ(ParseSocketLink("socket:[12345]"), 12345u);
  EXPECT_EQ(ParseSocketLink("socket:[18446744073709551615]"), 18446744073709551615ull);
  EXPECT_FALSE(ParseSocketLink("socket:[]"));
  EXPECT_FALSE(ParseSocketLink("socket:[12a]"));
  EXPECT_FALSE(ParseSocketLink("socket:[12"));
  EXPECT_FALSE(ParseSocketLink("pipe:[12345]"));
  EXPECT_FALSE(ParseSocketLink("/dev/null"));
  EXPECT_FALSE(ParseSocketLink("anon_inode:[eventfd]"));
  EXPECT_FALSE(ParseSocketLink(""));
}

TEST(FormatCmdline, NulsBecomeSpaces) {
  EXPECT_EQ(FormatCmdline("/usr/sbin/sshd\0-D\0"s), "/usr/sbin/sshd -D");
  EXPECT_EQ(FormatCmdline("nginx: worker process   \0\0"s), "nginx: worker process");
  EXPECT_EQ(FormatCmdline(""), "");
  EXPECT_EQ(FormatCmdline("abcdef\0gh"s, 4), "abcd");
  EXPECT_EQ(FormatCmdline("a\nb"), "a b");
}

TEST(ProcessName, ShortCommIsKept) {
  EXPECT_EQ(ProcessName("sshd", "/usr/sbin/sshd\0-D\0"s), "sshd");
  EXPECT_EQ(ProcessName("sshd", ""), "sshd");
}

TEST(ProcessName, CutCommIsCompletedFromArgv0) {
  EXPECT_EQ(ProcessName("systemd-resolve", "/lib/systemd/systemd-resolved\0"s), "systemd-resolved");
  EXPECT_EQ(ProcessName("prometheus-node", "/usr/bin/prometheus-node-exporter\0--x\0"s),
            "prometheus-node-exporter");
  // A rewritten title ends the name at the first space or ':'.
  EXPECT_EQ(ProcessName("very-long-daemo", "very-long-daemon: worker 3"), "very-long-daemon");
}

TEST(ProcessName, CutReadOfArgv0KeepsTheComm) {
  EXPECT_EQ(ProcessName("systemd-resolve", "/lib/systemd/systemd-resolved"), "systemd-resolve");
  EXPECT_EQ(ProcessName("systemd-resolve", "/lib/systemd/systemd-resolv"), "systemd-resolve");
}

TEST(ProcessName, CutCommKeptWhenArgv0Differs) {
  EXPECT_EQ(ProcessName("systemd-resolve", "/usr/bin/python3\0x.py\0"s), "systemd-resolve");
  EXPECT_EQ(ProcessName("systemd-resolve", ""), "systemd-resolve");  // kernel thread
  EXPECT_EQ(ProcessName("systemd-resolve", "systemd-resolve\0"s), "systemd-resolve");
}

// The fields after the name split on blanks as every procfs parser does (procfs/text.h):
// a tab separates like a space. The kernel writes single spaces.
TEST(ParseStat, FieldsSplitOnBlanks) {
  auto s = ParseStat("9 (x) S\t1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1  0 4242 0\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->starttime, 4242u);
  EXPECT_FALSE(ParseStat("9 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0"));  // 19 fields
}

// A last line without '\n' (a file cut short) is still read.
TEST(ParsePasswd, LastLineWithoutNewline) {
  auto m = ParsePasswd("a:x:7:7::/:\nb:x:8:8::/:");
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(m[8], "b");
}

TEST(ParsePasswd, NamesAndGarbage) {
  auto m = ParsePasswd(
      "root:x:0:0:root:/root:/bin/bash\n"
      "# comment\n"
      "garbage line\n"
      ":x:5:5::/:/bin/false\n"
      "bad:x:notanumber:1::/:\n"
      "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
      "toor:x:0:0:second name for 0:/root:/bin/sh\n"
      "systemd-resolve:x:992:992::/:/usr/sbin/nologin");
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0], "root");
  EXPECT_EQ(m[1], "daemon");
  EXPECT_EQ(m[992], "systemd-resolve");
  EXPECT_TRUE(ParsePasswd("").empty());
}

}  // namespace
}  // namespace netstat::proctable
