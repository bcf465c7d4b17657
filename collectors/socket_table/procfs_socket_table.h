// The fallback socket table: reads /proc/net/{tcp,tcp6,udp,...,unix} under a procfs
// root in fixed-size chunks, one line at a time, so memory stays flat however many
// sockets the file lists.
#pragma once

#include <memory>
#include <vector>

#include "collectors/procfs/root.h"
#include "collectors/socket_table/socket_table.h"

namespace netstat::socket_table {

class ProcfsSocketTable : public SocketTable {
 public:
  explicit ProcfsSocketTable(procfs::Root root);

  Source source() const override { return Source::kProcfs; }
  DumpResult DumpInet(Protocol protocol, Family family, uint32_t states,
                      const std::function<void(const InetSocket&)>& visit) override;
  DumpResult DumpUnix(const std::function<void(const UnixSocket&)>& visit) override;

  // Lines that did not parse in the last dump (besides the header).
  uint64_t malformed_lines() const { return malformed_; }

 private:
  // Calls `line_fn` for every line after the header of <procfs>/net/<name>, until it
  // returns false.
  DumpResult ForEachLine(const char* name, const std::function<bool(std::string_view)>& line_fn);

  procfs::Root root_;
  std::vector<char> buffer_;
  uint64_t malformed_ = 0;
};

// "tcp6" for (kTcp, kIpv6), ...; nullptr for kUnix.
const char* ProcNetFile(Protocol protocol, Family family);

}  // namespace netstat::socket_table
