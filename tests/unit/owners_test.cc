// The pure side of the BPF owner walk (readers/owners/owner_decode.h): records decoded
// however the reads cut them, the ascending pid order, and the lowest-pid owner.
#include <gtest/gtest.h>
#include <linux/types.h>

#include <cstring>
#include <string>
#include <vector>

#include "readers/owners/owner_decode.h"
#include "readers/owners/owner_layout.h"

namespace netstat::owners {
namespace {

std::string Task(uint32_t pid, uint64_t start, const char* comm) {
  netstat_owner_record r{};
  r.tgid = pid;
  r.fd = NETSTAT_OWNER_TASK_RECORD;
  r.task.start_boottime = start;
  std::memcpy(r.task.comm, comm, strnlen(comm, sizeof r.task.comm));
  return std::string(reinterpret_cast<const char*>(&r), sizeof r);
}

std::string Fd(uint32_t pid, int32_t fd, uint64_t inode, uint16_t family = 1) {
  netstat_owner_record r{};
  r.tgid = pid;
  r.fd = fd;
  r.sock.inode = inode;
  r.sock.family = family;
  r.sock.protocol = 6;
  r.sock.type = 1;
  r.sock.state = 10;
  r.sock.netns = 4026531840u;
  return std::string(reinterpret_cast<const char*>(&r), sizeof r);
}

TEST(OwnerDecode, RecordsSplitAcrossReadsAnywhere) {
  const std::string bytes = Task(7, 5000000000, "nginx") + Fd(7, 3, 100) + Fd(7, 9, 101) +
                            Task(12, 1, "a-very-long-nam") + Fd(12, 4, 100);
  for (size_t cut : {size_t{1}, size_t{5}, size_t{31}, size_t{32}, size_t{33}, size_t{64}}) {
    HostWalk walk;
    RecordDecoder decoder(&walk);
    for (size_t at = 0; at < bytes.size(); at += cut) {
      decoder.Feed(bytes.data() + at, std::min(cut, bytes.size() - at));
    }
    std::string error;
    ASSERT_TRUE(decoder.Finish(&error)) << error;
    ASSERT_EQ(walk.fds.size(), 3u) << cut;
    EXPECT_EQ(walk.fds[0], (SocketFd{7, 3, 100, SocketKind{4026531840u, 6, 1, 10}}));
    EXPECT_EQ(walk.fds[2].pid, 12);
    ASSERT_EQ(walk.processes.size(), 2u);
    EXPECT_EQ(walk.processes[0].comm, "nginx");
    EXPECT_EQ(walk.processes[0].start_boottime_ns, 5000000000u);
    EXPECT_EQ(walk.processes[0].first, 0u);
    EXPECT_EQ(walk.processes[0].last, 2u);
    EXPECT_EQ(walk.processes[1].comm, "a-very-long-nam");
    EXPECT_EQ(walk.processes[1].first, 2u);
    EXPECT_EQ(walk.processes[1].last, 3u);
  }
}

TEST(OwnerDecode, SortsWhatTheKernelGaveOutOfOrder) {
  const std::string bytes =
      Task(30, 1, "c") + Fd(30, 2, 5) + Task(4, 1, "a") + Fd(4, 8, 6) + Fd(4, 1, 7);
  HostWalk walk;
  RecordDecoder decoder(&walk);
  decoder.Feed(bytes.data(), bytes.size());
  std::string error;
  ASSERT_TRUE(decoder.Finish(&error)) << error;
  ASSERT_EQ(walk.fds.size(), 3u);
  EXPECT_EQ(walk.fds[0].pid, 4);
  EXPECT_EQ(walk.fds[0].fd, 1);
  EXPECT_EQ(walk.fds[1].fd, 8);
  EXPECT_EQ(walk.fds[2].pid, 30);
  ASSERT_EQ(walk.processes.size(), 2u);
  EXPECT_EQ(walk.processes[0].pid, 4);
  EXPECT_EQ(walk.processes[0].last, 2u);
  EXPECT_EQ(walk.processes[1].pid, 30);
  EXPECT_EQ(walk.processes[1].first, 2u);
}

TEST(OwnerDecode, ATaskRecordWrittenTwiceCountsOnceAndEmptyTasksGo) {
  const std::string bytes =
      Task(5, 1, "x") + Fd(5, 3, 9) + Task(5, 1, "x") + Fd(5, 4, 10) + Task(6, 1, "y");
  HostWalk walk;
  RecordDecoder decoder(&walk);
  decoder.Feed(bytes.data(), bytes.size());
  std::string error;
  ASSERT_TRUE(decoder.Finish(&error)) << error;
  ASSERT_EQ(walk.processes.size(), 1u);
  EXPECT_EQ(walk.processes[0].last - walk.processes[0].first, 2u);
}

TEST(OwnerDecode, BrokenStreamsAreErrors) {
  std::string error;
  {
    HostWalk walk;
    RecordDecoder decoder(&walk);
    const std::string bytes = Task(5, 1, "x") + Fd(5, 3, 9).substr(0, 20);
    decoder.Feed(bytes.data(), bytes.size());
    EXPECT_FALSE(decoder.Finish(&error));
    EXPECT_NE(error.find("inside a record"), std::string::npos) << error;
  }
  {
    HostWalk walk;
    RecordDecoder decoder(&walk);
    const std::string bytes = Task(5, 1, "x") + Fd(6, 3, 9);
    decoder.Feed(bytes.data(), bytes.size());
    EXPECT_FALSE(decoder.Finish(&error));
    EXPECT_NE(error.find("before its process"), std::string::npos) << error;
  }
}

TEST(OwnerDecode, LowestPidThenLowestFdOwnsASharedSocket) {
  const std::vector<SocketFd> sorted = {{3, 7, 100, {}}, {3, 9, 100, {}}, {3, 4, 101, {}},
                                        {8, 2, 100, {}}, {8, 3, 102, {}}, {9, 1, 0, {}}};
  const auto owners = LowestPidOwners(sorted);
  ASSERT_EQ(owners.size(), 3u);  // inode 0 is no socket to own
  EXPECT_EQ(owners.at(100).pid, 3);
  EXPECT_EQ(owners.at(100).fd, 7);
  EXPECT_EQ(owners.at(101).pid, 3);
  EXPECT_EQ(owners.at(102).pid, 8);
}

TEST(OwnerDecode, StartTicksAsTheKernelComputesThem) {
  EXPECT_EQ(StartTicks(1234567890123, 100), 123456u);
  EXPECT_EQ(StartTicks(999999, 100), 0u);
  EXPECT_EQ(StartTicks(3000000000, 1000), 3000u);
  EXPECT_EQ(StartTicks(1000000000, 300), 300u);
  EXPECT_EQ(StartTicks(5, 0), 0u);
}

TEST(OwnerDecode, CommStopsAtItsNul) {
  char full[16];
  std::memcpy(full, "0123456789abcdef", 16);  // no NUL: all 16 bytes
  EXPECT_EQ(CommOf(full).size(), 16u);
  char shortc[16] = "sshd";
  EXPECT_EQ(CommOf(shortc), "sshd");
}

}  // namespace
}  // namespace netstat::owners
