// netstat -r: the main routing table of both families. On the live kernel (procfs::Site:
// /proc, or the host's /proc mounted elsewhere on the host network) it dumps rtnetlink
// (RTM_GETROUTE, filtered to RT_TABLE_MAIN); against any other procfs root (fixtures) it
// reads /proc/net/route and /proc/net/ipv6_route, approximating the main table (see
// proc_route_parser.h).
#include "collectors/routes/routes_collector.h"

#include <cstring>
#include <map>
#include <set>
#include <tuple>

#include "collectors/common/family_builder.h"
#include "collectors/routes/proc_route_parser.h"
#include "collectors/routes/rtnetlink_dump.h"
#include "readers/procfs/root.h"

namespace netstat::routes {
namespace {

using collectors::FamilyBuilder;
using prometheus::MetricType;

class RoutesCollector : public collectors::Collector {
 public:
  RoutesCollector(const procfs::Root& root, bool live_network, const config::RoutesConfig& config)
      : live_(live_network),
        route_(root.Proc("net/route")),
        ipv6_route_(root.Proc("net/ipv6_route")),
        all_(config.all),
        max_(config.max) {}

  std::string Collect(std::vector<prometheus::MetricFamily>* out) override;

 private:
  std::string ReadProcFiles(RouteResult* result) const;
  void Publish(const std::vector<Route>& routes, std::vector<prometheus::MetricFamily>* out) const;

  bool live_;
  std::string route_;
  std::string ipv6_route_;
  bool all_;
  uint32_t max_;
};

// Appends one file's routes; a missing ipv6_route only means IPv6 is off.
std::string ReadOne(const std::string& path, RouteResult (*parse)(std::string_view), bool optional,
                    RouteResult* result) {
  std::string text;
  // route always has its header line; ipv6_route has none (and may list nothing).
  if (int err = procfs::ReadTextFile(path, &text, optional); err != 0) {
    if (optional && err == ENOENT) return {};
    return path + ": " + procfs::ErrorText(err);
  }
  RouteResult parsed = parse(text);
  result->routes.insert(result->routes.end(), parsed.routes.begin(), parsed.routes.end());
  if (parsed.errors.empty()) return {};
  std::string msg = path + ": " + parsed.errors.front();
  if (parsed.errors.size() > 1) {
    msg += " (and " + std::to_string(parsed.errors.size() - 1) + " more malformed lines)";
  }
  return msg;
}

std::string RoutesCollector::ReadProcFiles(RouteResult* result) const {
  std::string err4 = ReadOne(route_, ParseProcRoute, false, result);
  std::string err6 = ReadOne(ipv6_route_, ParseIpv6Route, true, result);
  if (err4.empty()) return err6;
  return err6.empty() ? err4 : err4 + "; " + err6;
}

void RoutesCollector::Publish(const std::vector<Route>& routes,
                              std::vector<prometheus::MetricFamily>* out) const {
  std::map<std::pair<std::string, std::string>, uint64_t> counts;
  for (const Route& r : routes) ++counts[{r.family, r.interface}];
  FamilyBuilder count("netstat_routes", "Routes in the main routing table.", MetricType::Gauge);
  for (const auto& [key, n] : counts) {
    count.Add({{"family", key.first}, {"interface", key.second}}, static_cast<double>(n));
  }
  count.MoveTo(out);

  // Default routes first so the cap never hides them; equal label sets (same route
  // with two metrics) collapse into one series.
  std::vector<const Route*> wanted;
  for (const Route& r : routes) {
    if (r.IsDefault()) wanted.push_back(&r);
  }
  if (all_) {
    for (const Route& r : routes) {
      if (!r.IsDefault()) wanted.push_back(&r);
    }
  }
  FamilyBuilder info("netstat_route_info",
                     "A main-table route (value 1): default routes, every route with "
                     "routes.all.",
                     MetricType::Gauge);
  std::set<std::tuple<std::string, std::string, std::string, std::string>> seen;
  uint64_t dropped = 0;
  for (const Route* r : wanted) {
    if (!seen.emplace(r->family, r->destination, r->gateway, r->interface).second) continue;
    if (seen.size() > max_) {
      ++dropped;
      continue;
    }
    info.Add({{"family", r->family},
              {"destination", r->destination},
              {"gateway", r->gateway},
              {"interface", r->interface}},
             1);
  }
  info.MoveTo(out);
  FamilyBuilder dropped_family(
      "netstat_route_info_dropped",
      "Routes left out of netstat_route_info by the routes.max cap in this collection.",
      MetricType::Gauge);
  dropped_family.Add(static_cast<double>(dropped)).MoveTo(out);
}

std::string RoutesCollector::Collect(std::vector<prometheus::MetricFamily>* out) {
  RouteResult result;
  std::string error;
  if (live_) {
    error = DumpMainRoutes(&result);
    if (!error.empty()) {
      // Still publish something: the files describe the same kernel, if less exactly.
      result = RouteResult();
      std::string file_error = ReadProcFiles(&result);
      error += "; used /proc/net/route" + (file_error.empty() ? "" : " (" + file_error + ")");
    }
  } else {
    error = ReadProcFiles(&result);
  }
  if (error.empty() && !result.errors.empty()) {
    error = result.errors.front();
  }
  Publish(result.routes, out);
  return error;
}

}  // namespace

std::unique_ptr<collectors::Collector> MakeRoutesCollector(const collectors::Environment& env) {
  return std::make_unique<RoutesCollector>(env.root, env.site.live_network, env.config.routes);
}

}  // namespace netstat::routes
