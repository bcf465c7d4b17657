#include "daemon/exposition.h"

#include <zlib.h>

#include "daemon/text_writer.h"

namespace netstat::daemon {

Exposition::Exposition(const std::vector<prometheus::MetricFamily>& families)
    : text_(std::make_shared<const std::string>(WriteTextFormat(families))) {}

std::shared_ptr<const std::string> Exposition::Gzipped() const {
  std::call_once(gzip_once_, [this] {
    std::string z = GzipCompress(*text_);
    if (!z.empty()) gzipped_ = std::make_shared<const std::string>(std::move(z));
  });
  return gzipped_;
}

std::string GzipCompress(std::string_view in) {
  z_stream zs{};
  // 15 window bits + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return "";
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END ? out : "";
}

}  // namespace netstat::daemon
