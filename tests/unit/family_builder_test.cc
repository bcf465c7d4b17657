// Label values reach Prometheus only as valid UTF-8: the kernel allows any bytes in
// interface and process names, and one bad byte would fail the whole scrape.
#include "collectors/common/family_builder.h"

#include <gtest/gtest.h>

namespace netstat::collectors {
namespace {

TEST(ValidUtf8, KeepsValidTextAndReplacesInvalidBytes) {
  EXPECT_EQ(ValidUtf8("eth0"), "eth0");
  EXPECT_EQ(ValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(ValidUtf8("a\xFF"
                      "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(ValidUtf8("\xC3"), "\xEF\xBF\xBD");                                  // cut sequence
  EXPECT_EQ(ValidUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
}

TEST(FamilyBuilder, CleansLabelValues) {
  std::vector<prometheus::MetricFamily> out;
  FamilyBuilder("x", "help", prometheus::MetricType::Gauge)
      .Add({{"interface", "e\xFFth0"}}, 1)
      .MoveTo(&out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].metric[0].label[0].value, "e\xEF\xBF\xBDth0");
}

// A label cleaned once and put on many samples, as on every field of a namespace.
TEST(FamilyBuilder, OneCleanLabelOnManySamples) {
  const CleanLabel label("netns", "pod\xFF");
  FamilyBuilder counters("c_total", "help", prometheus::MetricType::Counter);
  FamilyBuilder gauges("g", "help", prometheus::MetricType::Gauge);
  counters.Reserve(2);
  counters.Add(label, 1).Add(label, 2);
  gauges.Add(label, 3);
  std::vector<prometheus::MetricFamily> out;
  counters.MoveTo(&out);
  gauges.MoveTo(&out);
  ASSERT_EQ(out.size(), 2u);
  ASSERT_EQ(out[0].metric.size(), 2u);
  EXPECT_EQ(out[0].metric[1].counter.value, 2);
  EXPECT_EQ(out[1].metric[0].gauge.value, 3);
  for (const auto& f : out) {
    for (const auto& m : f.metric) {
      ASSERT_EQ(m.label.size(), 1u);
      EXPECT_EQ(m.label[0].name, "netns");
      EXPECT_EQ(m.label[0].value, "pod\xEF\xBF\xBD");
    }
  }
}

}  // namespace
}  // namespace netstat::collectors
