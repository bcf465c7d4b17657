// What every text fuzz target needs: libFuzzer's bytes as the std::string_view a pure
// parser takes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace netstat::fuzz {

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace netstat::fuzz
