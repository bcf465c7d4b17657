// Per-process facts the listeners collector labels with: name, command line and
// executable, read from /proc/PID/{stat,cmdline,exe} and cached across scrapes by
// (pid, start time) so a steady-state scrape reads one stat file per owning process.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace netstat::proctable {

struct ProcessInfo {
  uint64_t starttime = 0;  // with the pid, identifies the process across pid reuse
  std::string comm;        // as the kernel has it (15 bytes at most)
  std::string name;        // comm, untruncated from argv[0] when the kernel cut it
  std::string cmdline;     // only when asked for (want_cmdline)
  std::string exe;         // only when asked for (want_exe); empty when unreadable
};

class ProcessTable {
 public:
  ProcessTable(std::string procfs, bool want_cmdline, bool want_exe);
  ~ProcessTable();
  ProcessTable(const ProcessTable&) = delete;
  ProcessTable& operator=(const ProcessTable&) = delete;

  // Keeps each cached process's comm file open (up to max_held()): a later scrape then
  // knows the process unchanged from one pread of it (1.3 us here) instead of an open,
  // read and close of its stat (11 us). A held file never reaches a process that reused
  // the pid: it fails, and the stat file is read by path. Only for a live procfs.
  void HoldFiles();
  bool holds_files() const { return hold_files_; }
  // How many files a holder (this table, or an owner resolver for its directories) may
  // keep open: 512, or an eighth of the open-file limit when that is lower.
  size_t max_held() const { return max_held_; }
  static constexpr size_t kMaxHeldFiles = 512;
  // Comm files opened to be held, ever.
  uint64_t files_opened() const { return files_opened_; }

  // Starts a scrape: each pid's stat file is read at most once until the next call, and
  // processes not asked about since the previous call are forgotten.
  void BeginScrape();

  // The process now behind `pid`, or nullptr when it is gone (or its stat unreadable).
  // A changed start time or comm (pid reuse, exec, prctl) re-reads cmdline and exe.
  const ProcessInfo* Get(int32_t pid);

  // What a reading of the kernel made this scrape (the BPF owner walk's task records)
  // says of `pid`: a cached process with this start time and comm is current without a
  // read of its stat file. Anything else is left to Get.
  void Know(int32_t pid, uint64_t starttime, std::string_view comm);

  size_t size() const { return entries_.size(); }
  // Stat files read since the table was made (tests, and what holding files saves).
  uint64_t stat_reads() const { return stat_reads_; }

 private:
  struct Entry {
    ProcessInfo info;
    uint64_t generation = 0;
    bool alive = false;
    int comm_fd = -1;  // held comm file (HoldFiles), else -1
  };
  void Refresh(int32_t pid, Entry* e);
  // Whether the held comm file of a known process still reads its comm.
  bool Unchanged(Entry* e);
  // The stat file at `dir` into buffer_, holding the process's comm file when HoldFiles
  // and none is held. False when it does not read.
  bool ReadStat(const std::string& dir, Entry* e);
  void Release(Entry* e);

  std::string procfs_;
  bool want_cmdline_;
  bool want_exe_;
  uint64_t generation_ = 0;
  std::unordered_map<int32_t, Entry> entries_;
  std::string buffer_;
  uint64_t stat_reads_ = 0;
  bool hold_files_ = false;
  size_t max_held_ = 0;
  size_t held_ = 0;
  uint64_t files_opened_ = 0;
};

}  // namespace netstat::proctable
