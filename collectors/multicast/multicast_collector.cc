// netstat -g: multicast group memberships per interface from /proc/net/igmp (IPv4) and
// /proc/net/igmp6 (IPv6), as netstat_multicast_groups{family,interface}; with
// multicast.group_labels also one netstat_multicast_group_info series per group.
#include "collectors/multicast/multicast_collector.h"

#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <tuple>

#include "collectors/common/family_builder.h"
#include "collectors/multicast/igmp_parser.h"
#include "readers/procfs/root.h"

namespace netstat::multicast {
namespace {

using collectors::FamilyBuilder;
using prometheus::MetricType;

class MulticastCollector : public collectors::Collector {
 public:
  MulticastCollector(const procfs::Root& root, bool group_labels)
      : igmp_(root.Proc("net/igmp")), igmp6_(root.Proc("net/igmp6")), group_labels_(group_labels) {}

  std::string Collect(std::vector<prometheus::MetricFamily>* out) override;

 private:
  std::string igmp_;
  std::string igmp6_;
  bool group_labels_;
};

// Appends one file's memberships; a missing file means that family is not built in.
// igmp always has its header line; igmp6 has none and is empty without groups.
std::string ReadOne(const std::string& path, MembershipResult (*parse)(std::string_view),
                    bool may_be_empty, std::vector<Membership>* out) {
  std::string text;
  if (int err = procfs::ReadTextFile(path, &text, may_be_empty); err != 0) {
    return err == ENOENT ? "" : path + ": " + procfs::ErrorText(err);
  }
  MembershipResult parsed = parse(text);
  out->insert(out->end(), parsed.memberships.begin(), parsed.memberships.end());
  if (parsed.errors.empty()) return {};
  std::string msg = path + ": " + parsed.errors.front();
  if (parsed.errors.size() > 1) {
    msg += " (and " + std::to_string(parsed.errors.size() - 1) + " more malformed lines)";
  }
  return msg;
}

std::string MulticastCollector::Collect(std::vector<prometheus::MetricFamily>* out) {
  std::vector<Membership> memberships;
  std::string error = ReadOne(igmp_, ParseIgmp, false, &memberships);
  std::string error6 = ReadOne(igmp6_, ParseIgmp6, true, &memberships);
  if (!error6.empty()) error = error.empty() ? error6 : error + "; " + error6;

  std::map<std::pair<std::string, std::string>, uint64_t> counts;
  for (const Membership& m : memberships) ++counts[{m.family, m.interface}];
  FamilyBuilder groups("netstat_multicast_groups",
                       "Multicast groups joined, per interface (netstat -g).", MetricType::Gauge);
  for (const auto& [key, n] : counts) {
    groups.Add({{"family", key.first}, {"interface", key.second}}, static_cast<double>(n));
  }
  groups.MoveTo(out);

  if (group_labels_) {
    FamilyBuilder info("netstat_multicast_group_info",
                       "A joined multicast group (value 1); with multicast.group_labels.",
                       MetricType::Gauge);
    std::set<std::tuple<std::string, std::string, std::string>> seen;
    for (const Membership& m : memberships) {
      if (!seen.emplace(m.family, m.interface, m.group).second) continue;
      info.Add({{"family", m.family}, {"interface", m.interface}, {"group", m.group}}, 1);
    }
    info.MoveTo(out);
  }
  return error;
}

}  // namespace

std::unique_ptr<collectors::Collector> MakeMulticastCollector(const collectors::Environment& env) {
  return std::make_unique<MulticastCollector>(env.root, env.config.multicast.group_labels);
}

}  // namespace netstat::multicast
