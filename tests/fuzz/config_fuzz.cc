// The YAML config loader. ConfigError is its documented answer to bad input; any other
// exception escapes and libFuzzer reports it (std::terminate aborts).
#include <string>

#include "config/config_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    netstat::config::LoadConfigString(std::string(reinterpret_cast<const char*>(data), size),
                                      "fuzz.yml");
  } catch (const netstat::config::ConfigError&) {
  }
  return 0;
}
