// `netstat -s` of other network namespaces (namespaces.mode all): /proc/PID/net/snmp and
// /proc/PID/net/netstat of each one's lowest pid, the pid the shared socket reading found
// for it, so that no second discovery of the namespaces runs. /proc/PID/net/snmp6 is not
// read: a namespace's series are kept to a few fields of the Tcp and Udp groups (which
// count both families), and each file costs the kernel a rendering of all its counters.
//
// The two files stay open from one scrape to the next and are read again from offset 0:
// the kernel renders /proc/net/netstat (4,109 bytes on 6.x) into a one-page buffer
// first, finds it too small and renders it again into two; a file kept open keeps the
// larger buffer, which halves the kernel's share of a namespace's cost. An open file holds
// its namespace, not the process: so it is closed as soon as a reading no longer finds
// the namespace, and a namespace deleted meanwhile is freed one scrape late at most.
// Each file is one record of the kernel's seq_file (single_open): one pread into a buffer
// larger than the text returns it whole, so no second pread is spent to see its end.
// A file none of whose groups has a wanted field (netstat, when netns_include keeps to
// Tcp_ and Udp_ fields) is read once, cleanly, and then neither opened nor read again:
// every namespace of a kernel prints the same groups, and each reading costs the kernel a
// rendering of all of them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "collectors/snmp/field_picker.h"
#include "collectors/snmp/snmp_parser.h"
#include "readers/procfs/root.h"

namespace netstat::snmp {

// One namespace's fields; a caller reuses one for every namespace, so that its vectors'
// storage is allocated once.
struct NamespaceFields {
  // The pid left the namespace before its files were opened (it exited, or the number now
  // names another process): nothing is published, and that is not an error.
  bool gone = false;
  std::vector<PickedValue> snmp;     // from /proc/PID/net/snmp, ids of the picker's keys
  std::vector<PickedValue> netstat;  // from /proc/PID/net/netstat
  std::vector<std::string> errors;   // "<procfs>/PID/net/snmp: line 2: ..."
};

class NamespaceStatFiles {
 public:
  explicit NamespaceStatFiles(procfs::Root root) : root_(std::move(root)) {}
  ~NamespaceStatFiles();
  NamespaceStatFiles(const NamespaceStatFiles&) = delete;
  NamespaceStatFiles& operator=(const NamespaceStatFiles&) = delete;

  // The fields `picker` wants of the namespace `inode` into *out (cleared first), its
  // files opened through `pid` when they are not open yet. A file that fails is closed, to
  // be opened again.
  void Read(int32_t pid, uint64_t inode, FieldPicker* picker, NamespaceFields* out);
  // Closes the files of every namespace not in `inodes` (the last reading's, sorted).
  void Keep(const std::vector<uint64_t>& inodes);

 private:
  struct Files {
    std::string paths[2];  // as opened, for errors
    int fds[2] = {-1, -1};
  };
  static void Close(Files* f);
  // Opens both files through `pid`; false (and nothing open) when the pid has left the
  // namespace by then or the files are gone with it.
  bool Open(int32_t pid, uint64_t inode, Files* f, std::vector<std::string>* errors) const;

  // The whole file from offset 0 into buffer_, its length into *used: 0, or an errno
  // (procfs's own for a cut or oversized text).
  int ReadFromStart(int fd, size_t* used);

  procfs::Root root_;
  bool unwanted_[2] = {false, false};  // by file, as above
  std::map<uint64_t, Files> open_;     // by namespace inode
  std::vector<char> buffer_;           // reused, grown only; never cleared (no zero-filling)
  std::vector<std::string> errors_;    // the picker's, reused
};

}  // namespace netstat::snmp
