// The scheduler: collectors that read sockets and share a schedule share one reading of
// the kernel per run; other schedules get their own; the rest run alone.
#include "daemon/collector_set.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "collectors/common/family_builder.h"

namespace netstat::daemon {
namespace {

namespace st = socket_table;

// Counts the dumps asked of it; serves one TCP listener.
class CountingTable : public st::SocketTable {
 public:
  explicit CountingTable(std::atomic<int>* dumps) : dumps_(dumps) {}
  st::Source source() const override { return st::Source::kNetlink; }
  st::DumpResult DumpInet(st::Protocol p, st::Family f, uint32_t states,
                          const std::function<void(const st::InetSocket&)>& visit) override {
    ++*dumps_;
    if (p == st::Protocol::kTcp && f == st::Family::kIpv4 && (states & st::StateBit(st::kListen))) {
      st::InetSocket s{};
      s.state = st::kListen;
      visit(s);
    }
    return {};
  }
  st::DumpResult DumpUnix(const std::function<void(const st::UnixSocket&)>&) override {
    ++*dumps_;
    return {};
  }

 private:
  std::atomic<int>* dumps_;
};

// A socket collector that publishes how many listeners it was handed this run.
class ListenerCounter : public collectors::Collector, public socket_reading::SocketConsumer {
 public:
  explicit ListenerCounter(std::string name) : name_(std::move(name)) {}
  socket_reading::Interest interest() const override {
    return socket_reading::Interest().Want(st::Protocol::kTcp, st::Family::kIpv4,
                                           st::StateBit(st::kListen));
  }
  void BeginRead() override { seen_ = 0; }
  void BeginNamespace(const socket_reading::NamespaceView&) override {}
  void OnInet(const st::InetSocket&) override { ++seen_; }
  void EndDump(st::Protocol, st::Family, const st::DumpResult&) override {}
  void EndNamespace() override {}
  void DiscardNamespace() override {}
  std::string Collect(std::vector<prometheus::MetricFamily>* out) override {
    collectors::FamilyBuilder(name_, "listeners seen", prometheus::MetricType::Gauge)
        .Add(seen_)
        .MoveTo(out);
    return "";
  }

 private:
  std::string name_;
  int seen_ = 0;
};

class Plain : public collectors::Collector {
 public:
  std::string Collect(std::vector<prometheus::MetricFamily>* out) override {
    collectors::FamilyBuilder("plain", "p", prometheus::MetricType::Gauge).Add(1).MoveTo(out);
    return "";
  }
};

double Value(const std::vector<prometheus::MetricFamily>& families, const std::string& name) {
  for (const auto& f : families) {
    if (f.name == name) return f.metric.at(0).gauge.value;
  }
  return -1;
}

struct Harness {
  std::atomic<int> dumps{0};
  int readings = 0;
  CollectorSet::ReadingFactory factory = [this] {
    ++readings;
    return std::make_unique<socket_reading::SocketReading>(std::make_unique<CountingTable>(&dumps));
  };
};

std::vector<CollectorSet::Spec> Specs(std::chrono::milliseconds b_interval) {
  std::vector<CollectorSet::Spec> specs;
  specs.push_back({"a", std::make_unique<ListenerCounter>("a_listeners"), {}});
  specs.push_back({"plain", std::make_unique<Plain>(), {}});
  specs.push_back({"b", std::make_unique<ListenerCounter>("b_listeners"), b_interval});
  return specs;
}

TEST(CollectorSet, SocketCollectorsOfOneScheduleShareOneReading) {
  Harness h;
  CollectorSet set(Specs(std::chrono::milliseconds(0)), h.factory);
  EXPECT_EQ(h.readings, 1);
  const auto families = set.Scrape();
  // Both were handed the one listener of one dump: IPv4 TCP listeners are all anyone
  // wants.
  EXPECT_EQ(Value(families, "a_listeners"), 1);
  EXPECT_EQ(Value(families, "b_listeners"), 1);
  EXPECT_EQ(Value(families, "plain"), 1);
  EXPECT_EQ(h.dumps.load(), 1);
  // A run on scrape serves that scrape alone (its families move out); the next has its own.
  const auto again = set.Scrape();
  EXPECT_EQ(h.dumps.load(), 2);
  EXPECT_EQ(Value(again, "a_listeners"), 1);
  EXPECT_EQ(Value(again, "plain"), 1);
}

TEST(CollectorSet, AnotherScheduleHasItsOwnReading) {
  Harness h;
  CollectorSet set(Specs(std::chrono::hours(1)), h.factory);
  EXPECT_EQ(h.readings, 2);
  auto families = set.Scrape();  // b has no run yet: the scrape runs it once
  EXPECT_EQ(Value(families, "a_listeners"), 1);
  EXPECT_EQ(Value(families, "b_listeners"), 1);
  EXPECT_EQ(h.dumps.load(), 2);
  families = set.Scrape();  // b keeps its background result; only a reads again
  EXPECT_EQ(Value(families, "b_listeners"), 1);
  EXPECT_EQ(Value(families, "a_listeners"), 1);
  EXPECT_EQ(h.dumps.load(), 3);
  families = set.Scrape();  // served again, not moved away by the last scrape
  EXPECT_EQ(Value(families, "b_listeners"), 1);
}

// Scrapes that arrive together each run the collectors on scrape in turn and each serve
// their own run: none finds another's taken away (a scrape that read a run any scrape
// could move out served nothing, or worse, when three met).
TEST(CollectorSet, ScrapesThatComeTogetherEachServeTheirOwnRun) {
  Harness h;
  CollectorSet set(Specs(std::chrono::hours(1)), h.factory);
  std::atomic<int> whole{0};
  std::vector<std::thread> scrapers;
  for (int t = 0; t < 4; ++t) {
    scrapers.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        const auto f = set.Scrape();
        if (Value(f, "a_listeners") == 1 && Value(f, "plain") == 1 && Value(f, "b_listeners") == 1)
          ++whole;
      }
    });
  }
  for (auto& t : scrapers) t.join();
  EXPECT_EQ(whole.load(), 200);
}

}  // namespace
}  // namespace netstat::daemon
