// /proc/PID/stat, and the other pure per-process parsers the owner resolver feeds from
// files it does not control: cmdline, fd link targets and passwd.
#include "readers/proctable/proc_parsers.h"
#include "tests/fuzz/fuzz_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = netstat::fuzz::AsText(data, size);
  const auto stat = netstat::proctable::ParseStat(text);
  netstat::proctable::ParseSocketLink(text);
  netstat::proctable::FormatCmdline(text, 64);
  netstat::proctable::ProcessName(stat ? stat->comm : std::string_view("abcdefghijklmno"), text);
  netstat::proctable::ParsePasswd(text);
  return 0;
}
