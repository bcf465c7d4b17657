// The interface label end to end through the shared socket reading: a table that serves
// listeners bound to devices and names those devices as the namespace's own sock_diag
// socket would (SIOCGIFNAME), the collector's series, expected rules on interface, and
// queues that are the fullest socket's, never a sum.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "collectors/listeners/listeners_collector.h"
#include "readers/socket_reading/socket_reading.h"
#include "tests/unit/collector_output.h"

namespace netstat::listeners {
namespace {

namespace st = socket_table;

st::InetSocket Listening(uint16_t port, uint64_t inode, uint32_t length, uint32_t limit,
                         uint32_t device) {
  st::InetSocket s{};
  s.protocol = st::Protocol::kTcp;
  s.family = st::Family::kIpv4;
  s.state = st::kListen;
  s.local_port = port;
  s.receive_queue = length;
  s.send_queue = limit;
  s.inode = inode;
  s.bound_interface = device;
  return s;
}

class DeviceTable : public st::SocketTable {
 public:
  st::Source source() const override { return st::Source::kNetlink; }
  st::DumpResult DumpInet(st::Protocol p, st::Family f, uint32_t states,
                          const std::function<void(const st::InetSocket&)>& visit) override {
    if (p != st::Protocol::kTcp || f != st::Family::kIpv4) return {};
    if (!(states & st::StateBit(st::kListen))) return {};
    // 0.0.0.0:8082 bound to lo (overflowed), v0 and v1, backlog 1 each.
    visit(Listening(8082, 1, 2, 1, 1));
    visit(Listening(8082, 2, 0, 1, 2));
    visit(Listening(8082, 3, 0, 1, 3));
    // A SO_REUSEPORT group on port 80: 3/128, 7/8 and 0/1; the sum would be 10/137.
    visit(Listening(80, 10, 3, 128, 0));
    visit(Listening(80, 11, 7, 8, 0));
    visit(Listening(80, 12, 0, 1, 0));
    return {};
  }
  st::DumpResult DumpUnix(const std::function<void(const st::UnixSocket&)>&) override { return {}; }
  std::string InterfaceName(uint32_t index) override {
    ++asked[index];
    return index == 1 ? "lo" : "v" + std::to_string(index - 2);
  }

  std::map<uint32_t, int> asked;
};

TEST(ListenerInterfaces, OneSeriesPerDeviceAndTheFullestQueue) {
  config::Config config;
  config.paths.services = "/nonexistent";
  config.listeners.labels = {};
  config::ExpectedRule lo;
  lo.port = 8082;
  lo.interface = config::Pattern::Compile("lo");
  config::ExpectedRule unbound;
  unbound.interface = config::Pattern::Compile("");
  config.listeners.expected = {lo, unbound};
  procfs::Root root("/nonexistent", "/nonexistent");
  const collectors::Environment env{root, config};
  auto collector = MakeListenersCollector(env);
  auto table = std::make_unique<DeviceTable>();
  DeviceTable* devices = table.get();
  socket_reading::SocketReading reading(std::move(table));
  std::vector<prometheus::MetricFamily> families;
  testing::ReadAndCollect(reading, *collector, &families);
  const std::string text = prometheus::TextSerializer().Serialize(families);

  const std::string at8082 =
      "{protocol=\"tcp\",family=\"ipv4\",address=\"0.0.0.0\",port=\"8082\",interface=";
  for (const char* device : {"lo", "v0", "v1"}) {
    EXPECT_TRUE(testing::HasLine(
        text, "netstat_listener_info" + at8082 + "\"" + device + "\",service=\"\"} 1"))
        << text;
  }
  EXPECT_TRUE(testing::HasLine(text, "netstat_listener_queue_length" + at8082 + "\"lo\"} 2"));
  EXPECT_TRUE(testing::HasLine(text, "netstat_listener_queue_limit" + at8082 + "\"lo\"} 1"));
  EXPECT_TRUE(testing::HasLine(text, "netstat_listener_queue_length" + at8082 + "\"v0\"} 0"));
  EXPECT_TRUE(testing::HasLine(text, "netstat_listener_queue_limit" + at8082 + "\"v1\"} 1"));
  const std::string at80 =
      "{protocol=\"tcp\",family=\"ipv4\",address=\"0.0.0.0\",port=\"80\",interface=\"\"}";
  EXPECT_TRUE(testing::HasLine(text, "netstat_listener_queue_length" + at80 + " 7")) << text;
  EXPECT_TRUE(testing::HasLine(text, "netstat_listener_queue_limit" + at80 + " 8"));
  // lo's 8082 and the unbound group are expected; v0's and v1's 8082 are not.
  EXPECT_TRUE(
      testing::HasLine(text, "netstat_listener_unexpected" + at8082 + "\"v0\",service=\"\"} 1"));
  EXPECT_TRUE(
      testing::HasLine(text, "netstat_listener_unexpected" + at8082 + "\"v1\",service=\"\"} 1"));
  EXPECT_EQ(text.find("netstat_listener_unexpected" + at8082 + "\"lo\""), std::string::npos);
  EXPECT_EQ(text.find("netstat_listener_unexpected{protocol=\"tcp\",family=\"ipv4\",address="
                      "\"0.0.0.0\",port=\"80\""),
            std::string::npos);
  // Each device is named once per reading, and an unbound socket asks for nothing.
  EXPECT_EQ(devices->asked, (std::map<uint32_t, int>{{1, 1}, {2, 1}, {3, 1}}));
  families.clear();
  testing::ReadAndCollect(reading, *collector, &families);
  EXPECT_EQ(devices->asked, (std::map<uint32_t, int>{{1, 2}, {2, 2}, {3, 2}}));
}

}  // namespace
}  // namespace netstat::listeners
