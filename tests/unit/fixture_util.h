// Reading fixture files in unit tests.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace netstat::testing {

inline std::string FixturePath(const std::string& relative) {
  return std::string(NETSTAT_FIXTURES) + "/" + relative;
}

inline std::string ReadFixture(const std::string& relative) {
  std::ifstream in(FixturePath(relative), std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace netstat::testing
