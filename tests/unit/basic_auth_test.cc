#include "daemon/basic_auth.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace netstat::daemon {
namespace {

// bcrypt of "secret": cost 5 (fast), and cost 10 (about 60 ms, so that it overlaps).
constexpr char kHash[] = "$2b$05$abcdefghijklmnopqrstuuOQiyCxlgf/oeuTqixKmWdcYUh4Hjl0a";
constexpr char kSlowHash[] = "$2b$10$FwzcGwAgzaACs8xaiGfqLeJEFY8gwkoM.OODk7Y.fmDvyG9RtHxSi";

std::string Header(const std::string& user_pass) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "Basic ";
  unsigned value = 0;
  int bits = 0;
  for (unsigned char c : user_pass) {
    value = (value << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(value >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(value << (6 - bits)) & 63]);
  while ((out.size() - 6) % 4) out.push_back('=');
  return out;
}

TEST(BasicAuth, NoUsersAllowsEverything) {
  BasicAuth auth({});
  EXPECT_EQ(auth.Check(nullptr), BasicAuth::Result::kAllowed);
}

TEST(BasicAuth, Verdicts) {
  BasicAuth auth(std::map<std::string, std::string>{{"prometheus", kHash}});
  using R = BasicAuth::Result;
  EXPECT_EQ(auth.Check(nullptr), R::kDenied);
  EXPECT_EQ(auth.Check("Bearer abc"), R::kDenied);
  EXPECT_EQ(auth.Check("Basic !!!"), R::kDenied);
  EXPECT_EQ(auth.Check(Header("nocolon").c_str()), R::kDenied);
  EXPECT_EQ(auth.Check(Header("root:secret").c_str()), R::kDenied);
  EXPECT_EQ(auth.Check(Header("prometheus:wrong").c_str()), R::kDenied);
  EXPECT_EQ(auth.Check(Header("prometheus:wrong").c_str()), R::kDenied);  // remembered
  EXPECT_EQ(auth.Check(Header("prometheus:secret").c_str()), R::kAllowed);
  EXPECT_EQ(auth.Check(Header("prometheus:secret").c_str()), R::kAllowed);  // digest
  EXPECT_EQ(auth.Check(Header("prometheus:secretx").c_str()), R::kDenied);
  EXPECT_EQ(auth.Check(Header("prometheus:secret\n").c_str()), R::kDenied);
}

TEST(BasicAuth, OneBcryptAtATime) {
  BasicAuth auth(std::map<std::string, std::string>{{"prometheus", kSlowHash}});
  const std::string good = Header("prometheus:secret");
  ASSERT_EQ(auth.Check(good.c_str()), BasicAuth::Result::kAllowed);
  // Four wrong passwords at once: bcrypt (about 60 ms each) runs for one of them at a
  // time and the others are told to come back; none is let in. Meanwhile the
  // remembered login goes on being allowed (its latency is measured end to end).
  std::vector<std::future<BasicAuth::Result>> guesses;
  for (int i = 0; i < 4; ++i) {
    guesses.push_back(std::async(std::launch::async, [&auth, i] {
      return auth.Check(Header("prometheus:guess" + std::to_string(i)).c_str());
    }));
  }
  for (int i = 0; i < 20; ++i) EXPECT_EQ(auth.Check(good.c_str()), BasicAuth::Result::kAllowed);
  int busy = 0, denied = 0;
  for (auto& g : guesses) {
    const auto r = g.get();
    busy += r == BasicAuth::Result::kBusy;
    denied += r == BasicAuth::Result::kDenied;
  }
  EXPECT_EQ(busy + denied, 4);
  EXPECT_GE(denied, 1);
}

TEST(Base64, Decodes) {
  EXPECT_EQ(Base64Decode("dXNlcjpwYXNz"), "user:pass");
  EXPECT_EQ(Base64Decode("YQ=="), "a");
  EXPECT_EQ(Base64Decode("a b"), "");
}

}  // namespace
}  // namespace netstat::daemon
