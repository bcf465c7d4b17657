// The fallback socket table: reads /proc/net/{tcp,tcp6,udp,...,unix} under a procfs
// root in fixed-size chunks, one line at a time, so memory stays flat however many
// sockets the file lists, and stops at a byte limit so time stays bounded too.
#pragma once

#include <memory>
#include <vector>

#include "readers/procfs/root.h"
#include "readers/socket_table/socket_table.h"

namespace netstat::socket_table {

class ProcfsSocketTable : public SocketTable {
 public:
  explicit ProcfsSocketTable(procfs::Root root);

  Source source() const override { return Source::kProcfs; }
  DumpResult DumpInet(Protocol protocol, Family family, uint32_t states,
                      const std::function<void(const InetSocket&)>& visit) override;
  DumpResult DumpUnix(const std::function<void(const UnixSocket&)>& visit) override;
  // Whether any dump read (or tried to read) a file: a table none of whose files was read
  // cannot have been misread through a process that left its namespace meanwhile.
  bool read_any() const { return read_any_; }

 private:
  enum class Verdict { kNext, kStop, kMalformed };
  // Calls `line_fn` for every line after the header of <procfs>/net/<name> (which must
  // contain `header_word`) until it says stop. Fails, naming the line, on the first
  // malformed, overlong or truncated line, an empty or oversized file, or a path that
  // is not a regular file: a half-read table must not pass for a whole one.
  DumpResult ForEachLine(const char* name, std::string_view header_word,
                         const std::function<Verdict(std::string_view)>& line_fn);

  procfs::Root root_;
  bool read_any_ = false;
};

// "tcp6" for (kTcp, kIpv6), ...; nullptr for kUnix.
const char* ProcNetFile(Protocol protocol, Family family);

}  // namespace netstat::socket_table
