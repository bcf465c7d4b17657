#include "daemon/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>

namespace netstat::daemon {
namespace {

// %Q: the message, escaped for a double-quoted logfmt or JSON string value.
class EscapedMessage : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    for (char c : msg.payload) {
      switch (c) {
        case '"':
          dest.append(std::string_view("\\\""));
          break;
        case '\\':
          dest.append(std::string_view("\\\\"));
          break;
        case '\n':
          dest.append(std::string_view("\\n"));
          break;
        case '\t':
          dest.append(std::string_view("\\t"));
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            dest.append(std::string_view(buf));
          } else {
            dest.push_back(c);
          }
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<EscapedMessage>();
  }
};

}  // namespace

// The logger is made once and only reconfigured afterwards. spdlog's free functions
// (spdlog::info, ...) use the default logger through a raw pointer without a lock, so a
// reload that dropped and replaced it would leave every other thread (a BPF event
// reader, a background collector, a scrape) logging through a null or freed pointer.
// A sink's formatter is swapped under the sink's own mutex and the level is atomic, so
// reconfiguring in place is safe while other threads log.
void SetupLogging(const std::string& level, const std::string& format) {
  static const std::shared_ptr<spdlog::logger> logger = [] {
    auto made = spdlog::stderr_logger_mt("netstat_exporter");
    spdlog::set_default_logger(made);
    return made;
  }();
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<EscapedMessage>('Q');
  if (format == "json") {
    formatter->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","msg":"%Q"})");
  } else {
    formatter->set_pattern(R"(ts=%Y-%m-%dT%H:%M:%S.%e%z level=%l msg="%Q")");
  }
  logger->set_formatter(std::move(formatter));
  logger->set_level(spdlog::level::from_str(level == "warn" ? "warning" : level));
  logger->flush_on(spdlog::level::debug);
}

}  // namespace netstat::daemon
