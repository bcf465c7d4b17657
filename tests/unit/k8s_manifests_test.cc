// The Kubernetes manifests under deploy/kubernetes/ against each other and against the
// real binary: every file parses, kustomization.yaml lists them all, and what must agree
// does (ports and port names from the container to the ServiceMonitor, args against the
// flags in --help, volume mounts against the paths the args and the config name, the
// capabilities against the systemd units, the ConfigMap's config against --config.check).
// No cluster and no kubectl: yaml-cpp reads the files.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
const fs::path kDir = fs::path(NETSTAT_SOURCE_DIR) / "deploy" / "kubernetes";

struct Command {
  int status;
  std::string output;  // stdout and stderr
};

Command RunShell(const std::string& command) {
  Command result{-1, ""};
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  int status = pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Every document of every manifest, keyed by kind (one of each kind is expected).
class Manifests : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    for (const auto& entry : fs::directory_iterator(kDir)) {
      if (entry.path().extension() != ".yaml") continue;
      for (const YAML::Node& doc : YAML::LoadAllFromFile(entry.path().string())) {
        if (!doc || doc.IsNull()) continue;
        std::string kind = doc["kind"].as<std::string>("");
        docs_[kind].push_back(doc);
        files_[kind] = entry.path().filename().string();
      }
    }
  }

  static YAML::Node One(const std::string& kind) {
    auto it = docs_.find(kind);
    if (it == docs_.end() || it->second.size() != 1) {
      ADD_FAILURE() << "want exactly one " << kind << " in " << kDir;
      return YAML::Node();
    }
    return it->second.front();
  }
  static YAML::Node Container() {
    return One("DaemonSet")["spec"]["template"]["spec"]["containers"][0];
  }
  static YAML::Node PodSpec() { return One("DaemonSet")["spec"]["template"]["spec"]; }

  // The value of --NAME=VALUE in the container's args, or "" when it is not there.
  static std::string Arg(const std::string& name) {
    for (const auto& arg : Container()["args"]) {
      std::string a = arg.as<std::string>();
      if (a.rfind("--" + name + "=", 0) == 0) return a.substr(name.size() + 3);
    }
    return "";
  }

  // The ConfigMap's config file, written out for the binary to check.
  static fs::path ConfigMapFile() {
    YAML::Node data = One("ConfigMap")["data"];
    fs::path file =
        fs::temp_directory_path() / ("k8s_manifests_test_" + std::to_string(getpid()) + ".yml");
    std::ofstream(file) << data[fs::path(Arg("config.file")).filename().string()].as<std::string>(
        "");
    return file;
  }

  // mountPath -> the volume it mounts.
  static std::map<std::string, YAML::Node> Mounts() {
    std::map<std::string, YAML::Node> volumes, mounts;
    for (const YAML::Node& v : PodSpec()["volumes"]) volumes[v["name"].as<std::string>()].reset(v);
    for (const auto& m : Container()["volumeMounts"]) {
      auto it = volumes.find(m["name"].as<std::string>());
      EXPECT_NE(it, volumes.end()) << "volumeMount of an undeclared volume " << m["name"];
      if (it != volumes.end()) mounts[m["mountPath"].as<std::string>()].reset(it->second);
    }
    return mounts;
  }

  static inline std::map<std::string, std::vector<YAML::Node>> docs_;
  static inline std::map<std::string, std::string> files_;
};

// Labels as a map, for "selector matches labels" checks.
std::map<std::string, std::string> Labels(const YAML::Node& node) {
  std::map<std::string, std::string> out;
  for (const auto& kv : node) out[kv.first.as<std::string>()] = kv.second.as<std::string>();
  return out;
}
bool Selects(const YAML::Node& selector, const YAML::Node& labels) {
  auto have = Labels(labels);
  for (const auto& [k, v] : Labels(selector)) {
    if (!have.count(k) || have[k] != v) return false;
  }
  return !Labels(selector).empty();
}

// The capabilities a systemd file grants (AmbientCapabilities=), without the CAP_ prefix.
std::set<std::string> SystemdCapabilities(const fs::path& file) {
  std::set<std::string> caps;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("AmbientCapabilities=", 0) != 0) continue;
    std::istringstream words(line.substr(line.find('=') + 1));
    for (std::string cap; words >> cap;)
      caps.insert(cap.rfind("CAP_", 0) == 0 ? cap.substr(4) : cap);
  }
  return caps;
}

std::string Help() {
  static const std::string help = RunShell(Quote(NETSTAT_EXPORTER_BIN) + " --help").output;
  return help;
}

// --help's default for a flag: `(default "VALUE")` on the line after it.
std::string HelpDefault(const std::string& flag) {
  std::string help = Help();
  size_t at = help.find("--" + flag + "=");
  if (at == std::string::npos) return "";
  size_t open = help.find("(default \"", at);
  size_t close = help.find("\")", open);
  if (open == std::string::npos || close == std::string::npos) return "";
  return help.substr(open + 10, close - open - 10);
}

TEST_F(Manifests, EveryDocumentHasKindAndName) {
  for (const auto& [kind, docs] : docs_) {
    EXPECT_FALSE(kind.empty()) << files_[kind] << ": a document without kind";
    for (const auto& doc : docs) {
      EXPECT_TRUE(doc["apiVersion"]) << kind;
      if (kind != "Kustomization") {
        EXPECT_TRUE(doc["metadata"]["name"]) << kind;
      }
    }
  }
  for (const char* kind :
       {"DaemonSet", "ConfigMap", "Service", "ServiceMonitor", "Kustomization"}) {
    EXPECT_EQ(docs_.count(kind), 1u) << "no " << kind;
  }
  EXPECT_EQ(One("ServiceMonitor")["apiVersion"].as<std::string>(), "monitoring.coreos.com/v1");
}

TEST_F(Manifests, KustomizationListsEveryManifestAndOnlyExistingOnes) {
  std::set<std::string> listed;
  for (const auto& r : One("Kustomization")["resources"]) {
    listed.insert(r.as<std::string>());
    EXPECT_TRUE(fs::exists(kDir / r.as<std::string>())) << "kustomization lists " << r;
  }
  for (const auto& entry : fs::directory_iterator(kDir)) {
    std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".yaml" && name != "kustomization.yaml") {
      EXPECT_TRUE(listed.count(name)) << name << " is not in kustomization.yaml's resources";
    }
  }
  // Everything in one namespace, the one the kustomization sets.
  std::string ns = One("Kustomization")["namespace"].as<std::string>("");
  for (const auto& [kind, docs] : docs_) {
    if (kind == "Kustomization") continue;
    for (const auto& doc : docs)
      EXPECT_EQ(doc["metadata"]["namespace"].as<std::string>(""), ns) << kind;
  }
}

TEST_F(Manifests, PortsAgreeFromTheBinaryToTheServiceMonitor) {
  std::string address = Arg("web.listen-address");
  if (address.empty()) address = HelpDefault("web.listen-address");
  ASSERT_FALSE(address.empty()) << "no --web.listen-address default in --help";
  const int port = std::atoi(address.substr(address.rfind(':') + 1).c_str());
  ASSERT_GT(port, 0) << address;

  // The container port named metrics is the one the binary listens on; hostNetwork
  // requires hostPort == containerPort.
  YAML::Node metrics;
  for (const auto& p : Container()["ports"]) {
    if (p["name"].as<std::string>("") == "metrics") metrics.reset(p);
  }
  ASSERT_TRUE(metrics) << "no container port named metrics";
  EXPECT_EQ(metrics["containerPort"].as<int>(), port);
  EXPECT_EQ(metrics["hostPort"].as<int>(port), port);
  YAML::Node annotations = One("DaemonSet")["spec"]["template"]["metadata"]["annotations"];
  if (annotations["prometheus.io/port"]) {
    EXPECT_EQ(annotations["prometheus.io/port"].as<std::string>(), std::to_string(port));
  }

  // The Service selects the pods, and its port named metrics targets that container port.
  YAML::Node service = One("Service");
  EXPECT_TRUE(Selects(service["spec"]["selector"],
                      One("DaemonSet")["spec"]["template"]["metadata"]["labels"]));
  YAML::Node service_port;
  for (const auto& p : service["spec"]["ports"]) {
    if (p["name"].as<std::string>("") == "metrics") service_port.reset(p);
  }
  ASSERT_TRUE(service_port) << "no Service port named metrics";
  std::string target = service_port["targetPort"].as<std::string>("");
  EXPECT_TRUE(target == "metrics" || target == std::to_string(port)) << "targetPort " << target;

  // The ServiceMonitor selects the Service, in its namespace, by that port's name, on the
  // binary's telemetry path.
  YAML::Node monitor = One("ServiceMonitor")["spec"];
  EXPECT_TRUE(Selects(monitor["selector"]["matchLabels"], service["metadata"]["labels"]));
  bool in_namespace = false;
  for (const auto& n : monitor["namespaceSelector"]["matchNames"]) {
    in_namespace |= n.as<std::string>() == service["metadata"]["namespace"].as<std::string>();
  }
  EXPECT_TRUE(in_namespace || monitor["namespaceSelector"]["any"].as<bool>(false));
  std::string path = Arg("web.telemetry-path");
  if (path.empty()) path = HelpDefault("web.telemetry-path");
  ASSERT_TRUE(monitor["endpoints"] && monitor["endpoints"].size() > 0);
  for (const auto& e : monitor["endpoints"]) {
    EXPECT_EQ(e["port"].as<std::string>(""), "metrics");
    EXPECT_EQ(e["path"].as<std::string>("/metrics"), path);
  }
  EXPECT_TRUE(Selects(One("DaemonSet")["spec"]["selector"]["matchLabels"],
                      One("DaemonSet")["spec"]["template"]["metadata"]["labels"]));
}

TEST_F(Manifests, ProbesUseTheHealthEndpointsOnTheMetricsPort) {
  YAML::Node c = Container();
  EXPECT_EQ(c["livenessProbe"]["httpGet"]["path"].as<std::string>(""), "/-/healthy");
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["path"].as<std::string>(""), "/-/ready");
  EXPECT_EQ(c["livenessProbe"]["httpGet"]["port"].as<std::string>(""), "metrics");
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["port"].as<std::string>(""), "metrics");
}

TEST_F(Manifests, ArgsAreFlagsTheBinaryAcceptsAndPassConfigCheck) {
  ASSERT_NE(Help().find("--config.check"), std::string::npos) << Help();
  std::string command = Quote(NETSTAT_EXPORTER_BIN) + " --config.check";
  fs::path config = ConfigMapFile();
  for (const auto& arg : Container()["args"]) {
    std::string a = arg.as<std::string>();
    ASSERT_EQ(a.rfind("--", 0), 0u) << a;
    std::string flag = a.substr(0, a.find('='));
    bool has_value = a.find('=') != std::string::npos;
    EXPECT_NE(Help().find("  " + flag + (has_value ? "=" : "")), std::string::npos)
        << flag << " is not in --help";
    // The config file is the ConfigMap's, written where this test can read it.
    command += " " + Quote(flag == "--config.file" ? "--config.file=" + config.string() : a);
  }
  Command check = RunShell(command);
  EXPECT_EQ(check.status, 0) << command << "\n" << check.output;
  EXPECT_NE(check.output.find("is valid"), std::string::npos) << check.output;
  fs::remove(config);
}

TEST_F(Manifests, MountsAreWhereTheArgsAndTheConfigLook) {
  auto mounts = Mounts();
  // The config file's directory mounts the ConfigMap that holds it.
  fs::path config = Arg("config.file");
  ASSERT_FALSE(config.empty());
  ASSERT_TRUE(mounts.count(config.parent_path().string())) << config;
  YAML::Node volume = mounts[config.parent_path().string()];
  EXPECT_EQ(volume["configMap"]["name"].as<std::string>(""),
            One("ConfigMap")["metadata"]["name"].as<std::string>());
  EXPECT_TRUE(One("ConfigMap")["data"][config.filename().string()])
      << "no " << config.filename() << " in the ConfigMap";
  // --path.procfs and --path.sysfs are the host's /proc and /sys.
  for (const auto& [flag, host] :
       std::map<std::string, std::string>{{"path.procfs", "/proc"}, {"path.sysfs", "/sys"}}) {
    ASSERT_TRUE(mounts.count(Arg(flag))) << flag << "=" << Arg(flag) << " is not mounted";
    EXPECT_EQ(mounts[Arg(flag)]["hostPath"]["path"].as<std::string>(""), host);
  }
  // Every bind_mount_dir the config names is mounted from the host's directory of that name.
  YAML::Node cfg =
      YAML::Load(One("ConfigMap")["data"][config.filename().string()].as<std::string>(""));
  std::string host_root = fs::path(Arg("path.procfs")).parent_path().string();  // /host
  for (const auto& dir : cfg["namespaces"]["bind_mount_dirs"]) {
    std::string d = dir.as<std::string>();
    ASSERT_TRUE(mounts.count(d)) << "bind_mount_dirs " << d << " is not mounted";
    EXPECT_EQ(host_root + mounts[d]["hostPath"]["path"].as<std::string>(""), d);
  }
}

TEST_F(Manifests, PrivilegesAreTheSystemdUnitsAndNoMore) {
  YAML::Node pod = PodSpec();
  EXPECT_TRUE(pod["hostNetwork"].as<bool>(false))
      << "the node's sockets need the host network namespace";
  EXPECT_TRUE(pod["hostPID"].as<bool>(false))
      << "owners and pods' namespaces need the host's /proc";
  YAML::Node sc = Container()["securityContext"];
  EXPECT_TRUE(sc["readOnlyRootFilesystem"].as<bool>(false));
  EXPECT_FALSE(sc["allowPrivilegeEscalation"].as<bool>(true));
  EXPECT_FALSE(sc["privileged"].as<bool>(false));
  ASSERT_EQ(sc["capabilities"]["drop"].size(), 1u);
  EXPECT_EQ(sc["capabilities"]["drop"][0].as<std::string>(), "ALL");
  // What the unit grants for mode own, plus the drop-in's for mode all by netlink: the
  // ConfigMap runs mode all.
  std::set<std::string> want =
      SystemdCapabilities(fs::path(NETSTAT_SOURCE_DIR) / "systemd/netstat_exporter.service.in");
  ASSERT_FALSE(want.empty());
  YAML::Node cfg = YAML::Load(
      One("ConfigMap")["data"][fs::path(Arg("config.file")).filename().string()].as<std::string>(
          ""));
  if (cfg["namespaces"]["mode"].as<std::string>("own") == "all") {
    for (const auto& c :
         SystemdCapabilities(fs::path(NETSTAT_SOURCE_DIR) / "systemd/all-namespaces.conf"))
      want.insert(c);
  }
  // listener_events is on by default: the DaemonSet grants what its drop-in grants.
  if (cfg["collectors"]["listener_events"]["enabled"].as<bool>(true)) {
    for (const auto& c :
         SystemdCapabilities(fs::path(NETSTAT_SOURCE_DIR) / "systemd/listener-events.conf"))
      want.insert(c);
  }
  std::set<std::string> added;
  for (const auto& c : sc["capabilities"]["add"]) added.insert(c.as<std::string>());
  EXPECT_EQ(added, want);
  // uid 0 is deliberate (see daemonset.yaml): then runAsNonRoot must not contradict it.
  if (sc["runAsUser"] && sc["runAsUser"].as<int>() == 0) {
    EXPECT_FALSE(sc["runAsNonRoot"].as<bool>(true));
  }
  EXPECT_FALSE(pod["automountServiceAccountToken"].as<bool>(true));
}

// Memory in bytes from a Kubernetes quantity (Ki, Mi, Gi or plain bytes).
double Bytes(const std::string& q) {
  double n = std::atof(q.c_str());
  if (q.ends_with("Ki")) return n * 1024;
  if (q.ends_with("Mi")) return n * 1024 * 1024;
  if (q.ends_with("Gi")) return n * 1024 * 1024 * 1024;
  return n;
}

TEST_F(Manifests, MemoryRequestAndLimitAreSet) {
  YAML::Node r = Container()["resources"];
  ASSERT_TRUE(r["requests"]["memory"] && r["limits"]["memory"]);
  double request = Bytes(r["requests"]["memory"].as<std::string>());
  double limit = Bytes(r["limits"]["memory"].as<std::string>());
  // Measured resident size: 13 MB (own namespace) to 25 MB (200 namespaces).
  EXPECT_GE(request, 16.0 * 1024 * 1024);
  EXPECT_GE(limit, 2 * request);
  EXPECT_TRUE(r["requests"]["cpu"]);
  EXPECT_FALSE(r["limits"]["cpu"]) << "a CPU limit only makes scrapes time out";
}

}  // namespace
