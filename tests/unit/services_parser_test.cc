#include "collectors/listeners/services_parser.h"

#include <gtest/gtest.h>

#include <string>

#include "collectors/listeners/services_file.h"
#include "readers/procfs/root.h"

namespace netstat::listeners {
namespace {

TEST(ParseServices, FixtureWithGarbage) {
  std::string text;
  ASSERT_EQ(procfs::ReadFile(NETSTAT_FIXTURES "/etc/services", &text), 0);
  ServiceTable t = ParseServices(text);
  EXPECT_EQ(t.Find("tcp", 22), "ssh");
  EXPECT_EQ(t.Find("udp", 22), "");
  EXPECT_EQ(t.Find("tcp", 53), "domain");
  EXPECT_EQ(t.Find("udp", 53), "domain");
  EXPECT_EQ(t.Find("tcp", 80), "http");        // not the alias
  EXPECT_EQ(t.Find("tcp", 8080), "http-alt");  // the first name for a port wins
  EXPECT_EQ(t.Find("udp", 5353), "mdns");
  EXPECT_EQ(t.Find("tcp", 1234), "");
  EXPECT_EQ(t.Find("tcp", 12), "");
  EXPECT_EQ(t.Find("tcp", 0), "");
  EXPECT_EQ(t.size(), 13u);
}

TEST(ParseServices, TruncatedAndEmpty) {
  EXPECT_EQ(ParseServices("").size(), 0u);
  EXPECT_EQ(ParseServices("ssh 22/tc").Find("tc", 22), "ssh");  // cut mid-line, no newline
  EXPECT_EQ(ParseServices("ssh 22").size(), 0u);
  EXPECT_EQ(ParseServices("ssh").size(), 0u);
  EXPECT_EQ(ParseServices("\n\n# only comments\n").size(), 0u);
  EXPECT_EQ(ParseServices("ssh\t22/tcp\r\n").Find("tcp", 22), "ssh");
  EXPECT_EQ(ParseServices("x 65535/udp\ny 65536/udp").size(), 1u);
}

TEST(ServicesFile, MissingFileIsEmpty) {
  ServicesFile f("/nonexistent/services");
  EXPECT_EQ(f.Current().size(), 0u);
  EXPECT_EQ(f.error(), "/nonexistent/services: No such file or directory");
}

TEST(ServicesFile, ReadsTheFixture) {
  ServicesFile f(NETSTAT_FIXTURES "/etc/services");
  EXPECT_EQ(f.Current().Find("tcp", 443), "https");
  EXPECT_EQ(f.Current().Find("udp", 123), "ntp");
  EXPECT_EQ(f.error(), "");
}

}  // namespace
}  // namespace netstat::listeners
