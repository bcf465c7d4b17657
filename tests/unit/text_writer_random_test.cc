// daemon/text_writer against prometheus::TextSerializer on a few thousand seeded
// pseudo-random families: names, label sets, escapes, types and values drawn from the
// shapes that break writers (specials, integers around 2^53 and 1e16, raw bit patterns).
// The seed is printed on failure; NETSTAT_TEXT_SEED replaces it to reproduce one run.
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "daemon/text_writer.h"
#include "tests/unit/text_difference.h"

namespace netstat::daemon {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}

  MetricFamily NextFamily() {
    MetricFamily f;
    f.name = Name();
    // No backslash or newline in help: there the writer escapes on purpose (see
    // text_writer.h) and TextSerializer does not.
    f.help = Chance(4) ? "" : Text(" .,:;()'\"/%-_");
    for (char& c : f.help) c = c == '\n' ? ' ' : c;
    f.type = static_cast<MetricType>(Below(5));
    const size_t metrics = Chance(10) ? 0 : Below(12) + 1;
    std::vector<std::string> label_names(Below(8));
    for (auto& n : label_names) n = Name();
    for (size_t i = 0; i < metrics; ++i) f.metric.push_back(Metric(label_names));
    return f;
  }

 private:
  size_t Below(size_t n) { return static_cast<size_t>(rng_() % n); }
  bool Chance(size_t one_in) { return Below(one_in) == 0; }

  std::string Name() {
    static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz_ABCXYZ0123456789:";
    std::string s = "netstat_";
    for (size_t n = Below(20) + 1; n > 0; --n) s.push_back(kChars[Below(sizeof kChars - 1)]);
    return s;
  }

  // Mostly letters, then `extra` characters, UTF-8 and control bytes now and then.
  std::string Text(const std::string& extra) {
    std::string s;
    for (size_t n = Below(24); n > 0; --n) {
      const size_t pick = Below(10);
      if (pick < 6) {
        s.push_back(static_cast<char>('a' + Below(26)));
      } else if (pick < 8) {
        s.push_back(extra[Below(extra.size())]);
      } else if (pick < 9) {
        s.append("\xE2\x82\xAC");  // the euro sign
      } else {
        s.push_back(static_cast<char>(Below(32)));  // NUL and the controls
      }
    }
    return s;
  }

  double Value() {
    static const double kSpecial[] = {std::numeric_limits<double>::quiet_NaN(),
                                      std::numeric_limits<double>::infinity(),
                                      -std::numeric_limits<double>::infinity(), 0.0, -0.0};
    switch (Below(6)) {
      case 0:
        return kSpecial[Below(5)];
      case 1: {  // an integer of any magnitude, often near 2^53 or 1e16
        const double base = Chance(2) ? 9007199254740992.0 : 1e16;
        return base + static_cast<double>(static_cast<std::int64_t>(Below(41)) - 20);
      }
      case 2:
        return static_cast<double>(rng_() >> Below(64));
      case 3:  // a decimal such as a rate or a duration
        return static_cast<double>(Below(1'000'000)) / std::pow(10.0, Below(12));
      case 4: {
        const std::uint64_t bits = rng_();
        double d;
        std::memcpy(&d, &bits, sizeof d);
        return d;
      }
      default:
        return static_cast<double>(Below(100'000));
    }
  }

  ClientMetric Metric(const std::vector<std::string>& label_names) {
    ClientMetric m;
    for (const auto& n : label_names) m.label.push_back({n, Text("\\\"\n\t{}=,")});
    m.counter.value = Value();
    m.gauge.value = Value();
    m.untyped.value = Value();
    if (Chance(5)) m.timestamp_ms = static_cast<std::int64_t>(rng_());
    m.summary.sample_count = rng_() >> Below(64);
    m.summary.sample_sum = Value();
    for (size_t n = Below(5); n > 0; --n) m.summary.quantile.push_back({Value(), Value()});
    m.histogram.sample_count = rng_() >> Below(64);
    m.histogram.sample_sum = Value();
    for (size_t n = Below(8); n > 0; --n) {
      m.histogram.bucket.push_back({rng_() >> Below(64), Value()});
    }
    if (Chance(2)) {
      m.histogram.bucket.push_back(
          {m.histogram.sample_count, std::numeric_limits<double>::infinity()});
    }
    return m;
  }

  std::mt19937_64 rng_;
};

TEST(TextWriterRandomTest, ThousandsOfFamiliesMatchTextSerializer) {
  const char* env = std::getenv("NETSTAT_TEXT_SEED");
  const std::uint64_t seed = env ? std::strtoull(env, nullptr, 10) : 0x6e657473746174;
  for (int round = 0; round < 20; ++round) {
    Generator gen(seed + static_cast<std::uint64_t>(round));
    std::vector<MetricFamily> families;
    for (int i = 0; i < 200; ++i) families.push_back(gen.NextFamily());
    const std::string ours = WriteTextFormat(families);
    const std::string theirs = prometheus::TextSerializer().Serialize(families);
    ASSERT_TRUE(ours == theirs) << "seed " << seed + static_cast<std::uint64_t>(round) << ", "
                                << FirstDifference(ours, theirs);
  }
}

}  // namespace
}  // namespace netstat::daemon
