// One run's /metrics answer, serialised once and shared by every request that the run
// serves: the text, and its gzip made on the first request that asks for it. A scrape
// then costs a reference, not a serialisation, however many clients wait for the run.
#pragma once

#include <prometheus/metric_family.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace netstat::daemon {

class Exposition {
 public:
  explicit Exposition(const std::vector<prometheus::MetricFamily>& families);

  const std::shared_ptr<const std::string>& text() const { return text_; }
  // The text gzipped (made once); nullptr when zlib fails, so the caller sends the text.
  std::shared_ptr<const std::string> Gzipped() const;

 private:
  std::shared_ptr<const std::string> text_;
  mutable std::once_flag gzip_once_;
  mutable std::shared_ptr<const std::string> gzipped_;
};

// The gzip member format (RFC 1952) of `in`; empty when zlib fails.
std::string GzipCompress(std::string_view in);

}  // namespace netstat::daemon
