// ParseCgroup on whole /proc/PID/cgroup texts of each runtime (tests/fixtures/cgroup),
// on nested and unusual paths, and on every truncation and garbage.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "readers/netns/container_identity.h"
#include "readers/procfs/root.h"
#include "tests/unit/fixture_util.h"
#include "tests/unit/proctable_test_tree.h"

namespace netstat::netns {
namespace {

using netstat::testing::ReadFixture;

struct Case {
  const char* fixture;
  const char* container_id;
  const char* pod_uid;
};

// The expected values are written out, not derived from the files, so that a fixture and
// the parser cannot drift together.
const Case kCases[] = {
    {"docker_v1.txt", "a4c123b1612dd272d1371c17149d439536b3216fdaeeb975729fae923d5a4fd1", ""},
    {"docker_v2_systemd.txt", "2aabfe228f219e9cb0eb53f16947ccf25ec84d8dbc74254770f58904dba41ecc",
     ""},
    {"docker_v2_cgroupfs.txt", "cc3fc1626e53a13043b026c48bbf33feff9243a8f506b40928b5b7a767c76fb0",
     ""},
    {"containerd_ctr_v2.txt", "08f86bebb2737f6a6f0fb23c6f5da2cec255404e4fb440034d6608697a8d41be",
     ""},
    {"containerd_nerdctl_v2_systemd.txt",
     "d440e50454f31af3176813e02ea68ef786e4d3cea27d26934b484e73cf575dca", ""},
    {"k8s_containerd_v1_burstable.txt",
     "d6ba2b0aee0ca923732881584d8c4fa2815d2802827283e0ad84173581569969",
     "a70828a7-2f7d-4a08-b0d0-a2b8544940e1"},
    {"k8s_containerd_v2_systemd_burstable.txt",
     "e58b081006f7e3dfc967a64cb14028d512c9791e558e08baa7196b50ac2f8670",
     "77b5abcb-bf0e-41e0-8659-2243ef95eee8"},
    {"k8s_containerd_v2_systemd_besteffort.txt",
     "2824c1c099724caf4941d4072014b3ce107f80e222f828767efc2f91624a8940",
     "b9b253e3-aa18-4345-8fd3-e758082a2f4d"},
    {"k8s_containerd_v2_systemd_guaranteed.txt",
     "f1f836f99eee3692f09e2e8c662248b483b7ffc050fec94dbca3a0aac36098b2",
     "fc27d683-5fb6-4625-96d1-06fb60ed33a0"},
    {"k8s_crio_v2.txt", "cc2bd818319478da6bd0c621de49f145fda9988c79fc35526f7eaed46725a2a7",
     "1be4a5db-2b54-4f77-b143-6e1d54ea2061"},
    // conmon watches the container from the pod's cgroup: the pod is certain, no container.
    {"k8s_crio_conmon_v2.txt", "", "1be4a5db-2b54-4f77-b143-6e1d54ea2061"},
    {"podman_v2.txt", "b860dcd6c8a1f8b46287cced9041dff02cee737443e210471948d33296c87009", ""},
    {"podman_rootless_v2.txt", "e8a7f770d9106fd287db7f1adbc60926f6967e7893f57fd14c1604d115cea325",
     ""},
    {"podman_conmon_v2.txt", "", ""},
    {"host_v2_init.txt", "", ""},
    {"host_v2_user.txt", "", ""},
    {"host_v1.txt", "", ""},
};

std::string Fixture(const char* name) { return ReadFixture(std::string("cgroup/") + name); }

TEST(NetnsCgroup, EveryRuntimeFixture) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.fixture);
    const std::string text = Fixture(c.fixture);
    ASSERT_FALSE(text.empty());
    const ContainerIdentity id = ParseCgroup(text);
    EXPECT_EQ(id.container_id, c.container_id);
    EXPECT_EQ(id.pod_uid, c.pod_uid);
  }
}

// Every prefix of every fixture (a read cut anywhere) gives the full answer or nothing,
// never a wrong id or a partial uid.
TEST(NetnsCgroup, EveryTruncationIsCertainOrEmpty) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.fixture);
    const std::string text = Fixture(c.fixture);
    for (size_t n = 0; n <= text.size(); ++n) {
      const ContainerIdentity id = ParseCgroup(std::string_view(text).substr(0, n));
      EXPECT_TRUE(id.container_id.empty() || id.container_id == c.container_id) << n;
      EXPECT_TRUE(id.pod_uid.empty() || id.pod_uid == c.pod_uid) << n;
    }
  }
}

const std::string kId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kOther = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

TEST(NetnsCgroup, DeepestContainerWinsInNestedRuntimes) {
  // kind: a pod's container inside the node container.
  const std::string kind = "0::/system.slice/docker-" + kOther +
                           ".scope/kubelet.slice/kubelet-kubepods.slice/"
                           "kubelet-kubepods-besteffort.slice/"
                           "kubelet-kubepods-besteffort-pod0f1e2d3c_4b5a_6978_8796_a5b4c3d2e1f0."
                           "slice/cri-containerd-" +
                           kId + ".scope\n";
  ContainerIdentity id = ParseCgroup(kind);
  EXPECT_EQ(id.container_id, kId);
  EXPECT_EQ(id.pod_uid, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
  // The node's own processes, and a systemd running inside a container.
  EXPECT_EQ(ParseCgroup("0::/system.slice/docker-" + kOther + ".scope/init.scope\n").container_id,
            kOther);
  EXPECT_EQ(ParseCgroup("0::/machine.slice/libpod-" + kId + ".scope/container\n").container_id,
            kId);
  // A conmon inside the node belongs to the node container, not to the one it watches.
  EXPECT_EQ(ParseCgroup("0::/docker/" + kOther + "/kubepods/besteffort/crio-conmon-" + kId + "\n")
                .container_id,
            kOther);
}

TEST(NetnsCgroup, CgroupfsDriverNamesOfCrioAndPodman) {
  EXPECT_EQ(ParseCgroup("0::/kubepods/besteffort/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/crio-" +
                        kId + "\n")
                .container_id,
            kId);
  EXPECT_EQ(ParseCgroup("0::/libpod_parent/libpod-" + kId + "\n").container_id, kId);
  EXPECT_EQ(ParseCgroup("0::/libpod_parent/libpod-conmon-" + kId + "\n").container_id, "");
}

TEST(NetnsCgroup, StaticPodUidIsTheKubeletsHash) {
  const ContainerIdentity id = ParseCgroup(
      "0::/kubepods.slice/kubepods-burstable.slice/"
      "kubepods-burstable-pod5f1b2a8c7d6e4f3a2b1c0d9e8f7a6b5c.slice/cri-containerd-" +
      kId + ".scope\n");
  EXPECT_EQ(id.pod_uid, "5f1b2a8c7d6e4f3a2b1c0d9e8f7a6b5c");
  EXPECT_EQ(id.container_id, kId);
}

TEST(NetnsCgroup, NotIdsAreIgnored) {
  // Short ids, 63 or 65 hex, uppercase, hex glued to a word, non-hex.
  for (const std::string& path : {
           std::string("/docker/a4c123b1612d"),
           "/docker/" + kId.substr(1),
           "/docker/" + kId + "0",
           std::string("/docker/A4C123B1612DD272D1371C17149D439536B3216FDAEEB975729FAE923D5A4FD1"),
           "/system.slice/docker" + kId + ".scope",
           "/docker/" + kId.substr(0, 63) + "g",
           "/system.slice/conmon-" + kId + ".scope",
       }) {
    SCOPED_TRACE(path);
    EXPECT_EQ(ParseCgroup("0::" + path + "\n").container_id, "");
  }
  // Pod components that are not pods: the QoS slices, "pods", a cut or mixed-up uid.
  for (const std::string& path : {
           std::string("/kubepods.slice/kubepods-burstable.slice"),
           std::string("/kubepods/pods"),
           std::string("/kubepods/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f"),
           std::string("/kubepods/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f00"),
           std::string("/kubepods/pod0f1e2d3c-4b5a69-78-8796-a5b4c3d2e1f0"),
           std::string("/kubepods/mypod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"),
           std::string("/kubepods/pod0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0"),
       }) {
    SCOPED_TRACE(path);
    EXPECT_EQ(ParseCgroup("0::" + path + "\n").pod_uid, "");
  }
}

TEST(NetnsCgroup, LinesThatDisagreeLeaveTheFieldEmpty) {
  const std::string text = "2:memory:/docker/" + kId + "\n1:name=systemd:/docker/" + kOther +
                           "\n0::/kubepods/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\n";
  const ContainerIdentity id = ParseCgroup(text);
  EXPECT_EQ(id.container_id, "");
  EXPECT_EQ(id.pod_uid, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
}

TEST(NetnsCgroup, GarbageNeverCrashes) {
  for (std::string_view text : {
           std::string_view(""),
           std::string_view("\n"),
           std::string_view(":"),
           std::string_view("::"),
           std::string_view("0::"),
           std::string_view("0::/"),
           std::string_view("::/docker/x"),
           std::string_view("x::/docker/x"),
           std::string_view("0:/docker"),
           std::string_view("0::docker/x"),
           std::string_view("0:://///"),
           std::string_view("0::/pod"),
           std::string_view("0::/-pod"),
           std::string_view("0::/.scope"),
           std::string_view("0::/-.scope"),
           std::string_view("\0\0\0", 3),
       }) {
    const ContainerIdentity id = ParseCgroup(text);
    EXPECT_EQ(id.container_id, "");
    EXPECT_EQ(id.pod_uid, "");
  }
  // A hierarchy id that is not a number is not a cgroup line, even with an id in it.
  EXPECT_EQ(ParseCgroup("x::/docker/" + kId + "\n").container_id, "");
  // Random bytes over an alphabet that makes near-misses likely.
  std::mt19937 rng(1234);
  const std::string alphabet = "0123456789abcdef-_:/\n.podscope" + kId.substr(0, 8);
  for (int round = 0; round < 2000; ++round) {
    std::string text(rng() % 300, ' ');
    for (char& ch : text) ch = alphabet[rng() % alphabet.size()];
    const ContainerIdentity id = ParseCgroup(text);
    EXPECT_TRUE(id.container_id.empty() || id.container_id.size() == 64);
  }
}

TEST(NetnsCgroup, ReadContainerIdentityReadsThroughTheRoot) {
  netstat::testing::ProcTree tree;
  tree.Write("42/cgroup", Fixture("k8s_crio_v2.txt"));
  tree.Write("43/cgroup", "");                   // empty: a failure
  tree.Write("44/cgroup", "0::/docker/" + kId);  // no final newline: truncated
  const procfs::Root root(tree.root(), "/sys");
  const ContainerIdentity id = ReadContainerIdentity(root, 42);
  EXPECT_EQ(id.container_id, "cc2bd818319478da6bd0c621de49f145fda9988c79fc35526f7eaed46725a2a7");
  EXPECT_EQ(id.pod_uid, "1be4a5db-2b54-4f77-b143-6e1d54ea2061");
  for (int32_t pid : {43, 44, 45, 0, -1}) {
    SCOPED_TRACE(pid);
    EXPECT_EQ(ReadContainerIdentity(root, pid).container_id, "");
  }
}

}  // namespace
}  // namespace netstat::netns
