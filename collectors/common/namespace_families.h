// netstat_namespace_info and netstat_namespaces_dropped, from what a socket reading saw
// of the other network namespaces (namespaces.mode all); nothing in mode own.
#pragma once

#include <prometheus/metric_family.h>

#include <vector>

#include "readers/socket_reading/socket_consumer.h"

namespace netstat::collectors {

void PublishNamespaces(const socket_reading::NamespacesSeen& seen,
                       std::vector<prometheus::MetricFamily>* out);

}  // namespace netstat::collectors
