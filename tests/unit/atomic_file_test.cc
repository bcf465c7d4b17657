// --once=FILE's writer: the target holds the whole new content, no temporary file is
// left behind, and a failure names the file and leaves the old content in place.
#include "daemon/atomic_file.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace netstat::daemon {
namespace {

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/atomic_file_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::vector<std::string> Entries() {
    std::vector<std::string> names;
    DIR* d = opendir(dir_.c_str());
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    closedir(d);
    return names;
  }

  std::string dir_;
};

TEST_F(AtomicFileTest, CreatesThenReplacesWithNoTemporaryLeft) {
  const std::string path = dir_ + "/netstat.prom";
  ASSERT_EQ(WriteFileAtomically(path, "a 1\n"), "");
  EXPECT_EQ(Read(path), "a 1\n");
  ASSERT_EQ(WriteFileAtomically(path, "b 2\n"), "");
  EXPECT_EQ(Read(path), "b 2\n");
  EXPECT_EQ(Entries(), std::vector<std::string>{"netstat.prom"});
}

TEST_F(AtomicFileTest, NewFileIsReadableByOthersUnderUmask022) {
  const mode_t old = umask(022);
  const std::string path = dir_ + "/netstat.prom";
  ASSERT_EQ(WriteFileAtomically(path, "a 1\n"), "");
  umask(old);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(AtomicFileTest, MissingDirectoryNamesTheFile) {
  const std::string path = dir_ + "/no/such/dir/netstat.prom";
  const std::string err = WriteFileAtomically(path, "a 1\n");
  EXPECT_EQ(err.rfind("cannot write " + path + ": creating ", 0), 0u) << err;
  EXPECT_NE(err.find("No such file or directory"), std::string::npos) << err;
  EXPECT_EQ(err.find('\n'), std::string::npos);
}

TEST_F(AtomicFileTest, TargetIsADirectoryKeepsItAndLeavesNoTemporary) {
  const std::string path = dir_ + "/sub";
  ASSERT_EQ(mkdir(path.c_str(), 0755), 0);
  const std::string err = WriteFileAtomically(path, "a 1\n");
  EXPECT_NE(err.find("renaming"), std::string::npos) << err;
  EXPECT_EQ(Entries(), std::vector<std::string>{"sub"});
}

TEST_F(AtomicFileTest, StaleTemporaryOfTheSamePidIsReplaced) {
  const std::string path = dir_ + "/netstat.prom";
  const std::string tmp = dir_ + "/.netstat.prom.tmp." + std::to_string(getpid());
  std::ofstream(tmp) << "junk";
  ASSERT_EQ(WriteFileAtomically(path, "a 1\n"), "");
  EXPECT_EQ(Read(path), "a 1\n");
  EXPECT_EQ(Entries(), std::vector<std::string>{"netstat.prom"});
}

TEST_F(AtomicFileTest, FileNameIsRequired) {
  EXPECT_NE(WriteFileAtomically(dir_ + "/", "a 1\n"), "");
}

}  // namespace
}  // namespace netstat::daemon
