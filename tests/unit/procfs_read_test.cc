// The guarded file reader every collector uses: it must never block (a FIFO), never
// read without bound (an oversized file), and say why it refused.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>

#include "readers/procfs/root.h"

namespace netstat::procfs {
namespace {

class TempDir {
 public:
  TempDir() { EXPECT_NE(mkdtemp(dir_), nullptr); }
  ~TempDir() { std::system((std::string("rm -rf ") + dir_).c_str()); }
  std::string Path(const std::string& name) const { return std::string(dir_) + "/" + name; }
  std::string Write(const std::string& name, const std::string& content) const {
    std::ofstream(Path(name), std::ios::binary) << content;
    return Path(name);
  }

 private:
  char dir_[32] = "/tmp/procfs_read_testXXXXXX";
};

TEST(ReadFile, ReadsAWholeFile) {
  TempDir d;
  std::string text;
  EXPECT_EQ(ReadFile(d.Write("f", "a\nb\n"), &text), 0);
  EXPECT_EQ(text, "a\nb\n");
  EXPECT_EQ(ReadFile(d.Path("missing"), &text), ENOENT);
}

TEST(ReadFile, RefusesAFifoWithoutBlocking) {
  TempDir d;
  ASSERT_EQ(mkfifo(d.Path("fifo").c_str(), 0600), 0);
  const auto start = std::chrono::steady_clock::now();
  std::string text = "stale";
  EXPECT_EQ(ReadFile(d.Path("fifo"), &text), kNotRegular);
  EXPECT_TRUE(text.empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(ErrorText(kNotRegular), "not a regular file");
}

TEST(ReadFile, RefusesDevicesAndDirectories) {
  TempDir d;
  std::string text;
  EXPECT_EQ(ReadFile("/dev/zero", &text), kNotRegular);  // endless: must not be read
  EXPECT_EQ(ReadFile("/dev/null", &text), kNotRegular);
  ASSERT_EQ(mkdir(d.Path("dir").c_str(), 0700), 0);
  EXPECT_EQ(ReadFile(d.Path("dir"), &text), EISDIR);
}

TEST(ReadFile, SymlinkLoopIsAnError) {
  TempDir d;
  ASSERT_EQ(symlink(d.Path("b").c_str(), d.Path("a").c_str()), 0);
  ASSERT_EQ(symlink(d.Path("a").c_str(), d.Path("b").c_str()), 0);
  std::string text;
  EXPECT_EQ(ReadFile(d.Path("a"), &text), ELOOP);
}

TEST(ReadFile, FollowsOrdinarySymlinks) {  // /proc/net is a symlink to self/net
  TempDir d;
  d.Write("target", "x\n");
  ASSERT_EQ(symlink(d.Path("target").c_str(), d.Path("link").c_str()), 0);
  std::string text;
  EXPECT_EQ(ReadFile(d.Path("link"), &text), 0);
  EXPECT_EQ(text, "x\n");
}

TEST(ReadFile, StopsAtTheLimit) {
  TempDir d;
  const std::string path = d.Write("big", std::string(100000, 'x'));
  std::string text;
  EXPECT_EQ(ReadFile(path, &text, 100000), 0);  // exactly at the limit is fine
  EXPECT_EQ(text.size(), 100000u);
  EXPECT_EQ(ReadFile(path, &text, 99999), kTooLarge);
  EXPECT_TRUE(text.empty());
  EXPECT_EQ(ReadFile(path, &text, 10, Oversize::kKeepPrefix), 0);
  EXPECT_EQ(text, std::string(10, 'x'));
}

TEST(ReadFile, DefaultLimitBoundsAHugeFile) {
  TempDir d;
  const std::string path = d.Path("huge");
  ASSERT_EQ(truncate(d.Write("huge", "").c_str(), kMaxFileBytes + 1), 0);  // sparse
  std::string text;
  EXPECT_EQ(ReadFile(path, &text), kTooLarge);
  EXPECT_EQ(ReadFile(path, &text, kMaxAttributeBytes), kTooLarge);
}

TEST(ReadTextFile, RefusesCutAndEmptyText) {
  TempDir d;
  std::string text;
  EXPECT_EQ(ReadTextFile(d.Write("ok", "a b\nc d\n"), &text), 0);
  EXPECT_EQ(ReadTextFile(d.Write("cut", "a b\nc"), &text), kTruncated);
  EXPECT_TRUE(text.empty());
  EXPECT_EQ(ReadTextFile(d.Write("empty", ""), &text), kEmpty);
  EXPECT_EQ(ReadTextFile(d.Path("empty"), &text, true), 0);
}

}  // namespace
}  // namespace netstat::procfs
