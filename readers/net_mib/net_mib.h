// The counters of `netstat -s` of many network namespaces in one BPF run (net_mib.bpf.c)
// instead of a read of /proc/PID/net/snmp and /proc/PID/net/netstat per namespace, each of
// which makes the kernel sum and print all of its ~300 counters.
//
// Which counter a field is: the groups whose counters are plain per-CPU arrays of struct
// net (Tcp, Udp, UdpLite, TcpExt), and a field name whose upper case is an enumerator of
// that array in the kernel's own BTF: Tcp RetransSegs is TCP_MIB_RETRANSSEGS, TcpExt
// ListenOverflows LINUX_MIB_LISTENOVERFLOWS. The kernel's tables (net/ipv4/proc.c) pair
// nearly every name with that enumerator; the 16 that differ on 6.x (TcpExt TW is
// LINUX_MIB_TIMEWAITED) are listed in Find. A name found neither way, and the other
// groups (Ip, Icmp, IpExt, MPTcpExt: other layouts or other names), stay with /proc.
//
//   auto mib = NetMib::Shared(&error);  // loads at start (CAP_BPF, CAP_PERFMON)
//   auto f = mib->Find("Tcp", "RetransSegs");
//   mib->Read({*f}, {inode, ...}, &readings, &error);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netstat::net_mib {

struct MibField {
  uint32_t kind = 0;       // NETSTAT_MIB_* (net_mib_layout.h)
  uint32_t index = 0;      // the enumerator's value
  bool is_signed = false;  // Tcp MaxConn: the kernel prints it signed (-1)
  // The value /proc would print for the raw sum of its per-CPU slots.
  double Value(uint64_t sum) const {
    return is_signed ? static_cast<double>(static_cast<int64_t>(sum)) : static_cast<double>(sum);
  }
};

// One namespace's result in Read.
enum class Found : uint8_t { kNo = 0, kRead = 1, kFailed = 2 };

class NetMib {
 public:
  static constexpr size_t kMaxFields = 64;  // fields one Read sums
  // The process's reader, loaded by the first call and kept until exit (loading needs
  // CAP_BPF and CAP_PERFMON, which the daemon drops after start; running needs none).
  // nullptr, with the reason in *error, when it cannot load; a later call tries again.
  // NETSTAT_EXPORTER_NO_BPF_MIB=1 keeps it from loading (tests of the /proc path).
  static std::shared_ptr<NetMib> Shared(std::string* error);

  ~NetMib();
  // The counter behind field `name` of group `group`, or nullopt (see the top).
  std::optional<MibField> Find(std::string_view group, std::string_view name) const;
  // Sums `fields` in each namespace of `inodes` (ascending): values[i * fields.size() + f]
  // and found[i] for inodes[i]. False, with the reason, when the run fails as a whole.
  // Concurrent callers take turns.
  bool Read(const std::vector<MibField>& fields, const std::vector<uint64_t>& inodes,
            std::vector<uint64_t>* values, std::vector<Found>* found, std::string* error);

  struct Impl;

 private:
  explicit NetMib(std::unique_ptr<Impl> impl);
  std::mutex mu_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace netstat::net_mib
