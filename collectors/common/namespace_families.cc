#include "collectors/common/namespace_families.h"

#include <string>

#include "collectors/common/family_builder.h"

namespace netstat::collectors {

void PublishNamespaces(const socket_reading::NamespacesSeen& seen,
                       std::vector<prometheus::MetricFamily>* out) {
  if (!seen.all) return;
  FamilyBuilder info("netstat_namespace_info",
                     "Network namespaces other than the exporter's own, with the lowest pid "
                     "in each and its container and pod (from /proc/PID/cgroup) when it has one.",
                     prometheus::MetricType::Gauge);
  for (const auto& ns : seen.namespaces) {
    info.Add({{"netns", ns.label},
              {"inode", std::to_string(ns.inode)},
              {"pid", ns.pid != 0 ? std::to_string(ns.pid) : ""},
              {"container_id", ns.identity.container_id},
              {"pod_uid", ns.identity.pod_uid}},
             1);
  }
  info.MoveTo(out);
  FamilyBuilder("netstat_namespaces_dropped",
                "Network namespaces not read because there were more than namespaces.max.",
                prometheus::MetricType::Gauge)
      .Add(static_cast<double>(seen.dropped))
      .MoveTo(out);
}

}  // namespace netstat::collectors
