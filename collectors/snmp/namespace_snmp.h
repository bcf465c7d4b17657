// `netstat -s` of another network namespace (namespaces.mode all): /proc/PID/net/snmp and
// /proc/PID/net/netstat of its lowest pid, the pid the shared socket reading found for it,
// so that no second discovery of the namespaces runs. /proc/PID/net/snmp6 is not read: a
// namespace's series are kept to a few IPv4-named fields (the Tcp and Udp groups count
// both families), and each file read costs the kernel a full pass over its counters.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "collectors/snmp/field_picker.h"
#include "collectors/snmp/snmp_parser.h"
#include "readers/procfs/root.h"

namespace netstat::snmp {

struct NamespaceFields {
  // The process left the namespace (it exited, or the pid now names another process):
  // nothing of it is published, and that is not an error.
  bool gone = false;
  std::vector<Field> snmp;          // from /proc/PID/net/snmp
  std::vector<Field> netstat;       // from /proc/PID/net/netstat
  std::vector<std::string> errors;  // "<procfs>/PID/net/snmp: line 2: ..."
};

// Reads the namespace `inode` through `pid`, keeping the fields `picker` wants. A file that
// vanished or cannot be read is an error only when the pid still belongs to the namespace
// afterwards.
NamespaceFields ReadNamespaceFields(const procfs::Root& root, int32_t pid, uint64_t inode,
                                    FieldPicker* picker);

}  // namespace netstat::snmp
