#include "daemon/text_writer.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

namespace netstat::daemon {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Long enough for any %.16g ("-1.234567890123457e-308" is 23) and any 64-bit integer.
using NumberBuffer = char[32];

template <typename Int>
std::string_view FormatInt(Int v, NumberBuffer& buf) {
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return {buf, static_cast<size_t>(r.ptr - buf)};
}

// TextSerializer prints doubles through an ostream set to precision 16 (%.16g), NaN and
// the infinities by hand; to_chars with a precision is specified to match printf.
std::string_view FormatDouble(double v, NumberBuffer& buf) {
  if (std::isnan(v)) return "Nan";
  if (std::isinf(v)) return v < 0 ? "-Inf" : "+Inf";
  // Most samples are counts. An integer below 1e16 has at most 16 digits, so %.16g
  // prints all of them and no exponent: the integer conversion gives the same text,
  // faster. -0 stays with the general path, which keeps its sign.
  if (v > -1e16 && v < 1e16 && v != 0 && std::trunc(v) == v) {
    return FormatInt(static_cast<std::int64_t>(v), buf);
  }
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 16);
  return {buf, static_cast<size_t>(r.ptr - buf)};
}

// Appends `s` with a backslash before each backslash (and double quote, in a label value)
// and a newline as "\n". A plain loop: find_first_of calls memchr on the set for every
// byte, which was the writer's largest cost.
template <bool kQuote>
void AppendEscaped(std::string* out, std::string_view s) {
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c != '\\' && c != '\n' && (!kQuote || c != '"')) continue;
    out->append(s.data() + start, i - start);
    out->push_back('\\');
    out->push_back(c == '\n' ? 'n' : c);
    start = i + 1;
  }
  out->append(s.data() + start, s.size() - start);
}

// Writes the lines of one family. A metric's labels are rendered once into labels_ and
// reused by each of its lines: a histogram repeats them on every bucket.
class FamilyWriter {
 public:
  FamilyWriter(std::string* out, std::string* scratch) : out_(out), labels_(scratch) {}

  void Write(const MetricFamily& family);

 private:
  void StartMetric(const ClientMetric& metric);
  // name suffix{labels,extra_name="extra_value"} value[ timestamp]\n; no braces when
  // there are no labels and no extra one.
  void Line(std::string_view suffix, std::string_view value, std::string_view extra_name = {},
            std::string_view extra_value = {});
  void Summary(const ClientMetric::Summary& summary);
  void Histogram(const ClientMetric::Histogram& histogram);

  std::string* out_;
  std::string* labels_;
  std::string_view name_;
  std::int64_t timestamp_ms_ = 0;
};

void FamilyWriter::StartMetric(const ClientMetric& metric) {
  labels_->clear();
  for (const auto& label : metric.label) {
    if (!labels_->empty()) labels_->push_back(',');
    labels_->append(label.name);
    labels_->append("=\"");
    AppendEscaped<true>(labels_, label.value);
    labels_->push_back('"');
  }
  timestamp_ms_ = metric.timestamp_ms;
}

void FamilyWriter::Line(std::string_view suffix, std::string_view value,
                        std::string_view extra_name, std::string_view extra_value) {
  out_->append(name_);
  out_->append(suffix);
  if (!labels_->empty() || !extra_name.empty()) {
    out_->push_back('{');
    out_->append(*labels_);
    if (!extra_name.empty()) {
      if (!labels_->empty()) out_->push_back(',');
      out_->append(extra_name);
      out_->append("=\"");
      out_->append(extra_value);  // a formatted number: nothing to escape
      out_->push_back('"');
    }
    out_->push_back('}');
  }
  out_->push_back(' ');
  out_->append(value);
  if (timestamp_ms_ != 0) {
    NumberBuffer buf;
    out_->push_back(' ');
    out_->append(FormatInt(timestamp_ms_, buf));
  }
  out_->push_back('\n');
}

void FamilyWriter::Summary(const ClientMetric::Summary& summary) {
  NumberBuffer value;
  NumberBuffer quantile;
  Line("_count", FormatInt(summary.sample_count, value));
  Line("_sum", FormatDouble(summary.sample_sum, value));
  for (const auto& q : summary.quantile) {
    Line("", FormatDouble(q.value, value), "quantile", FormatDouble(q.quantile, quantile));
  }
}

void FamilyWriter::Histogram(const ClientMetric::Histogram& histogram) {
  NumberBuffer value;
  NumberBuffer bound;
  Line("_count", FormatInt(histogram.sample_count, value));
  Line("_sum", FormatDouble(histogram.sample_sum, value));
  for (const auto& b : histogram.bucket) {
    Line("_bucket", FormatInt(b.cumulative_count, value), "le", FormatDouble(b.upper_bound, bound));
  }
  // The format wants a +Inf bucket; TextSerializer adds one holding the sample count
  // unless the last bucket given is already +Inf (an earlier +Inf does not count).
  if (histogram.bucket.empty() ||
      histogram.bucket.back().upper_bound != std::numeric_limits<double>::infinity()) {
    Line("_bucket", FormatInt(histogram.sample_count, value), "le", "+Inf");
  }
}

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Summary:
      return "summary";
    case MetricType::Untyped:
      return "untyped";
    case MetricType::Histogram:
      return "histogram";
  }
  return "";  // TextSerializer writes no TYPE line and no samples for an unknown type
}

void FamilyWriter::Write(const MetricFamily& family) {
  name_ = family.name;
  if (!family.help.empty()) {
    out_->append("# HELP ").append(name_).push_back(' ');
    AppendEscaped<false>(out_, family.help);
    out_->push_back('\n');
  }
  const std::string_view type = TypeName(family.type);
  if (type.empty()) return;
  out_->append("# TYPE ").append(name_).push_back(' ');
  out_->append(type).push_back('\n');
  NumberBuffer buf;
  for (const auto& metric : family.metric) {
    StartMetric(metric);
    switch (family.type) {
      case MetricType::Counter:
        Line("", FormatDouble(metric.counter.value, buf));
        break;
      case MetricType::Gauge:
        Line("", FormatDouble(metric.gauge.value, buf));
        break;
      case MetricType::Untyped:
        Line("", FormatDouble(metric.untyped.value, buf));
        break;
      case MetricType::Summary:
        Summary(metric.summary);
        break;
      case MetricType::Histogram:
        Histogram(metric.histogram);
        break;
    }
  }
}

// The text's length unless label values need escaping, or a little over: every value
// counted at its longest (24), which overshoots a count by ~20 bytes a line. Over, not
// under, because a string that outgrows its reserve copies itself to twice the size.
size_t EstimateSize(const std::vector<MetricFamily>& families) {
  constexpr size_t kValue = 24;               // "-1.234567890123457e-308"
  constexpr size_t kTimestamp = 21;           // " -9223372036854775808"
  constexpr size_t kExtra = 15 + 1 + kValue;  // "_bucket" and ,quantile="..."
  size_t size = 0;
  for (const auto& family : families) {
    size += 2 * family.name.size() + family.help.size() + 24;  // # HELP, # TYPE
    for (const auto& metric : family.metric) {
      size_t line = family.name.size() + 4 + kValue;  // braces, space, newline
      for (const auto& label : metric.label) line += label.name.size() + label.value.size() + 4;
      if (metric.timestamp_ms != 0) line += kTimestamp;
      if (family.type == MetricType::Summary) {
        size += (line + kExtra) * (2 + metric.summary.quantile.size());
      } else if (family.type == MetricType::Histogram) {
        size += (line + kExtra) * (3 + metric.histogram.bucket.size());
      } else {
        size += line;
      }
    }
  }
  return size;
}

}  // namespace

std::string WriteTextFormat(const std::vector<MetricFamily>& families) {
  std::string out;
  out.reserve(EstimateSize(families));
  std::string labels;
  FamilyWriter writer(&out, &labels);
  for (const auto& family : families) writer.Write(family);
  return out;
}

}  // namespace netstat::daemon
