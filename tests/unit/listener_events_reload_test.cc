// The collector swap of a SIGHUP reload with the real listener events program (root and
// kernel BTF; skipped where it cannot load), in a network namespace of the test's own: a
// collector built with the running one as Environment::previous takes over its program
// and counts while one thread calls listen() in a loop and another scrapes whichever
// collector is current, so that the old one goes away under it, as under an HTTP worker.
// Also built with -fsanitize=thread by hand (README, listener_events).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "collectors/listener_events/listener_events_collector.h"
#include "readers/listen_trace/bpf_events.h"
#include "tests/unit/collector_output.h"
#include "tests/unit/kernel_sockets.h"

namespace netstat::listener_events {
namespace {

using collectors::Collector;

constexpr uint16_t kPort = 4712;

// listen() and close() on 127.0.0.1:port, `n` times; false when a call failed.
bool Cycles(uint16_t port, int n) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  for (int i = 0; i < n; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const bool ok =
        fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && listen(fd, 4) == 0;
    if (fd >= 0) close(fd);
    if (!ok) return false;
  }
  return true;
}

// Cycles in a child process: the test process's own listen() calls are the exporter's,
// which are never unexpected. Its comm is short, so that its process label never
// depends on reading its cmdline before it exits.
bool CyclesInChild(uint16_t port, int n) {
  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_NAME, "reload_child");
    _exit(Cycles(port, n) ? 0 : 1);
  }
  int status = 0;
  return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
         WEXITSTATUS(status) == 0;
}

config::Config Config(bool all_namespaces, uint32_t max_series, bool expect_our_port) {
  config::Config c;
  if (all_namespaces) c.namespaces.mode = config::NamespacesConfig::Mode::kAll;
  c.listener_events.max_series = max_series;
  config::ExpectedRule ssh;
  ssh.port = 22;
  c.listeners.expected = {ssh};
  if (expect_our_port) {
    config::ExpectedRule ours;
    ours.port = kPort;
    c.listeners.expected.push_back(ours);
  }
  return c;
}

std::unique_ptr<Collector> Build(const config::Config& c, const Collector* previous) {
  const procfs::Root root("/proc", "/sys");
  collectors::Environment env(root, c);
  env.previous = previous;
  return MakeListenerEventsCollector(env);
}

// The sum of `family`'s samples for `port` (or its only sample: port 0), if any.
std::optional<double> Sample(const std::string& text, const std::string& family,
                             uint16_t port = 0) {
  std::istringstream lines(text);
  const std::string port_label = "port=\"" + std::to_string(port) + "\"";
  std::optional<double> sum;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(family + (port ? "{" : " "), 0) != 0) continue;
    if (port != 0 && line.find(port_label) == std::string::npos) continue;
    sum = sum.value_or(0) + std::strtod(line.c_str() + line.rfind(' ') + 1, nullptr);
  }
  return sum;
}

struct Scrape {
  explicit Scrape(Collector& c) : text(testing::CollectAsText(c).text) {}
  double Opened(uint16_t port = kPort) const {
    return Sample(text, "netstat_listener_opened_total", port).value_or(0);
  }
  double Unexpected() const {
    return Sample(text, "netstat_listener_unexpected_opened_total", kPort).value_or(0);
  }
  double Of(const std::string& family) const { return Sample(text, family).value_or(-1); }
  std::string text;
};

class ListenerEventsReload : public ::testing::Test {
 protected:
  void SetUp() override {
    const listen_trace::Availability why = listen_trace::CheckPrerequisites();
    if (!why.loaded) GTEST_SKIP() << "the listener events program cannot load here: " << why.reason;
    // The whole test process (its main thread, which the program's mode-own filter reads
    // through /proc/self/ns/net, and every thread it starts) in a namespace of its own.
    std::string error;
    ASSERT_TRUE(netstat::testing::EnterFreshNetns(&error)) << error;
    first_ = Build(Config(false, 100, false), nullptr);
    if (Scrape(*first_).Of("netstat_listener_events_available") != 1) {
      GTEST_SKIP() << "the listener events program did not load";
    }
  }
  std::unique_ptr<Collector> first_;
};

// 20 swaps, alternating the expected rules and max_series, while listen() runs without
// pause: every listen() is counted once, none is lost, no scrape sees a count go down.
TEST_F(ListenerEventsReload, CountsGoOnThroughSwapsWhileEventsFlowAndScrapesRun) {
  std::shared_ptr<Collector> current = std::move(first_);
  std::mutex mu;  // guards `current`, as the Runner guards the installed set
  std::atomic<bool> stop_listening{false}, stop_scraping{false};
  std::atomic<int> cycles{0};
  std::thread listener([&] {
    while (!stop_listening) {
      ASSERT_TRUE(Cycles(kPort, 1));
      ++cycles;
      std::this_thread::sleep_for(std::chrono::microseconds(100));  // the ring never fills
    }
  });
  std::thread scraper([&] {
    double last = 0;
    while (!stop_scraping) {
      std::shared_ptr<Collector> c;
      {
        std::lock_guard lock(mu);
        c = current;
      }
      const double now = Scrape(*c).Opened();
      EXPECT_GE(now, last);
      last = now;
    }  // the last owner of a swapped-out collector: it is destroyed here
  });
  for (int i = 1; i <= 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::shared_ptr<Collector> next = Build(Config(false, i % 2 ? 50 : 100, i % 2), current.get());
    const Scrape overlapping(*next);  // while the scraper may be scraping the old one
    std::lock_guard lock(mu);
    current.swap(next);
  }
  stop_listening = true;
  listener.join();
  stop_scraping = true;
  scraper.join();
  const Scrape last(*current);
  EXPECT_GT(cycles.load(), 20);
  EXPECT_EQ(last.Opened(), cycles.load()) << last.text;
  EXPECT_EQ(last.Of("netstat_listener_events_lost_total"), 0);
}

// A rule added by a reload applies to the events after it, not to those before it that
// no scrape had counted yet; the counts before stay. A lower max_series drops only label
// sets that did not exist.
TEST_F(ListenerEventsReload, ANewPolicyAppliesToNewEventsOnly) {
  ASSERT_TRUE(CyclesInChild(kPort, 3));  // not scraped before the reload
  auto expecting = Build(Config(false, 100, true), first_.get());
  first_.reset();
  ASSERT_TRUE(CyclesInChild(kPort, 2));
  const Scrape after(*expecting);
  EXPECT_EQ(after.Opened(), 5) << after.text;
  EXPECT_EQ(after.Unexpected(), 3) << after.text;
  auto capped = Build(Config(false, 1, true), expecting.get());
  expecting.reset();
  ASSERT_TRUE(CyclesInChild(kPort, 1));
  ASSERT_TRUE(CyclesInChild(kPort + 1, 2));
  const Scrape last(*capped);
  EXPECT_EQ(last.Opened(), 6) << last.text;
  EXPECT_EQ(last.Opened(kPort + 1), 0) << last.text;
  EXPECT_EQ(last.Of("netstat_listener_events_series_dropped_total"), 2) << last.text;
}

// namespaces.mode is the program's filter, fixed at load: a new program, counting from 0,
// while the old one still serves the running collector.
// Mode all sees every namespace, so this test's port is its own: the other tests of this
// binary, which ctest may run beside it, listen on kPort in namespaces of their own.
TEST_F(ListenerEventsReload, AModeChangeLoadsAFreshProgram) {
  constexpr uint16_t kOwnPort = kPort + 300;
  ASSERT_TRUE(Cycles(kOwnPort, 3));
  auto all = Build(Config(true, 1000000, false), first_.get());
  const Scrape fresh(*all);
  EXPECT_EQ(fresh.Of("netstat_listener_events_available"), 1) << fresh.text;
  EXPECT_EQ(fresh.Opened(kOwnPort), 0) << fresh.text;
  EXPECT_EQ(Scrape(*first_).Opened(kOwnPort), 3);
  first_.reset();
  ASSERT_TRUE(Cycles(kOwnPort, 2));
  EXPECT_EQ(Scrape(*all).Opened(kOwnPort), 2);
}

// Programs loaded and dropped (mode changes) while listen() runs and the old collector
// is scraped on another thread: the reader thread of each goes with its state, cleanly.
TEST_F(ListenerEventsReload, ProgramsComeAndGoWhileEventsFlow) {
  std::shared_ptr<Collector> current = std::move(first_);
  std::mutex mu;
  std::atomic<bool> stop{false};
  std::thread listener([&] {
    while (!stop) ASSERT_TRUE(Cycles(kPort, 1));
  });
  std::thread scraper([&] {
    while (!stop) {
      std::shared_ptr<Collector> c;
      {
        std::lock_guard lock(mu);
        c = current;
      }
      Scrape s(*c);
      EXPECT_EQ(s.Of("netstat_listener_events_available"), 1);
    }
  });
  for (int i = 1; i <= 6; ++i) {
    std::shared_ptr<Collector> next = Build(Config(i % 2, 1000000, false), current.get());
    std::lock_guard lock(mu);
    current.swap(next);
  }
  stop = true;
  listener.join();
  scraper.join();
  EXPECT_EQ(Scrape(*current).Of("netstat_listener_events_available"), 1);
}

}  // namespace
}  // namespace netstat::listener_events
