#include "collectors/sockets/sockstat_families.h"

#include <unistd.h>

#include <cerrno>
#include <set>

#include "collectors/common/family_builder.h"
#include "readers/sockstat/sockstat_parser.h"

namespace netstat::sockets {

void AddError(std::string* error, const std::string& what) {
  if (!error->empty()) error->append("; ");
  error->append(what);
}

void PublishSockstat(const procfs::Root& root, std::vector<prometheus::MetricFamily>* out,
                     std::string* error) {
  static const uint64_t page_size = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  std::set<std::string> seen;
  for (const char* file : {"net/sockstat", "net/sockstat6"}) {
    const std::string path = root.Proc(file);
    std::string text;
    if (int err = procfs::ReadTextFile(path, &text)) {
      if (err != ENOENT) AddError(error, path + ": " + procfs::ErrorText(err));
      continue;
    }
    SockstatResult parsed = ParseSockstat(text);
    for (const auto& e : parsed.errors) AddError(error, path + ": " + e);
    for (const auto& v : parsed.values) {
      std::string name = "netstat_sockstat_";
      for (char c : v.group + "_" + v.field) {
        const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        name.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : keep ? c : '_');
      }
      double value = static_cast<double>(v.value);
      std::string unit;
      if (v.field == "mem") {  // pages
        value *= static_cast<double>(page_size);
        name += "_bytes";
        unit = " in bytes (the kernel counts pages)";
      } else if (v.field == "memory") {
        name += "_bytes";
      }
      if (!seen.insert(name).second) continue;
      collectors::FamilyBuilder(
          name, "Field " + v.field + unit + " of " + v.group + " in /proc/" + file + " (ss -s).",
          prometheus::MetricType::Gauge)
          .Add(value)
          .MoveTo(out);
    }
  }
}

}  // namespace netstat::sockets
