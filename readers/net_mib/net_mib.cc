#include "readers/net_mib/net_mib.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "readers/bpf_support/bpf_support.h"

#if NETSTAT_HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "net_mib.skel.h"
#include "readers/net_mib/net_mib_layout.h"

static_assert(netstat::net_mib::NetMib::kMaxFields == NETSTAT_MIB_MAX_FIELDS);
#endif

namespace netstat::net_mib {
namespace {

bool Forced() {
  const char* v = std::getenv("NETSTAT_EXPORTER_NO_BPF_MIB");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

}  // namespace

#if NETSTAT_HAVE_BPF

namespace {

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return out;
}

}  // namespace

using bpf_support::Errno;

struct NetMib::Impl {
  net_mib_bpf* skel = nullptr;
  uint32_t cpus = 0;
  // "TCP_MIB_RETRANSSEGS" -> its value, from the three enums whose ..._MAX bounds them.
  std::unordered_map<std::string, uint32_t> enumerators;
  ~Impl() { net_mib_bpf__destroy(skel); }

  // The enumerators of the kernel's TCP, UDP and Linux MIBs, from its BTF: each from the
  // enum that also holds its MIB's bound (__TCP_MIB_MAX, __UDP_MIB_MAX, __LINUX_MIB_MAX), so
  // that LINUX_MIB_XFRM* (another enum, another array) is not taken for TcpExt.
  bool LoadEnumerators(std::string* error) {
    btf* vmlinux = btf__load_vmlinux_btf();
    if (vmlinux == nullptr) {
      *error = Errno("reading the kernel's BTF (/sys/kernel/btf/vmlinux)", errno);
      return false;
    }
    struct Mib {
      const char* prefix;
      const char* bound;
    };
    constexpr Mib kMibs[] = {{"TCP_MIB_", "__TCP_MIB_MAX"},
                             {"UDP_MIB_", "__UDP_MIB_MAX"},
                             {"LINUX_MIB_", "__LINUX_MIB_MAX"}};
    const uint32_t types = btf__type_cnt(vmlinux);
    for (uint32_t id = 1; id < types; ++id) {
      const btf_type* t = btf__type_by_id(vmlinux, id);
      if (!btf_is_enum(t)) continue;
      const struct btf_enum* e = btf_enum(t);
      const uint16_t n = btf_vlen(t);
      for (const Mib& mib : kMibs) {
        bool bounded = false;
        uint32_t bound = 0;
        for (uint16_t i = 0; i < n && !bounded; ++i) {
          bounded = std::strcmp(btf__name_by_offset(vmlinux, e[i].name_off), mib.bound) == 0;
          bound = static_cast<uint32_t>(e[i].val);
        }
        if (!bounded) continue;
        for (uint16_t i = 0; i < n; ++i) {
          const char* name = btf__name_by_offset(vmlinux, e[i].name_off);
          const auto value = static_cast<uint32_t>(e[i].val);
          if (std::strncmp(name, mib.prefix, std::strlen(mib.prefix)) == 0 && value < bound &&
              value < NETSTAT_MIB_MAX_INDEX) {
            enumerators.emplace(name, value);
          }
        }
      }
    }
    btf__free(vmlinux);
    if (enumerators.empty()) {
      *error = "the kernel's BTF has no __TCP_MIB_MAX, __UDP_MIB_MAX or __LINUX_MIB_MAX enum";
      return false;
    }
    return true;
  }

  bool Run(std::string* error) {
    LIBBPF_OPTS(bpf_test_run_opts, opts);
    if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.read_mibs), &opts) != 0) {
      *error = Errno("running the BPF reader of namespace counters", errno);
      return false;
    }
    if (skel->bss->error != 0) {
      *error = "the BPF reader of namespace counters could not find " +
               std::string(skel->bss->error == -1 ? "its own namespace" : "the per-CPU offsets");
      return false;
    }
    if (skel->bss->nets_truncated) {
      *error = "the BPF reader of namespace counters did not come round the list of namespaces";
      return false;
    }
    return true;
  }
};

std::shared_ptr<NetMib> NetMib::Shared(std::string* error) {
  static std::mutex mu;
  static std::shared_ptr<NetMib> shared;
  std::lock_guard lock(mu);
  if (shared) return shared;
  if (Forced()) {
    *error = "NETSTAT_EXPORTER_NO_BPF_MIB=1 is set";
    return nullptr;
  }
  if (!bpf_support::MayLoad()) {
    *error = "loading the BPF reader of namespace counters needs CAP_BPF and CAP_PERFMON";
    return nullptr;
  }
  auto impl = std::make_unique<Impl>();
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0 || cpus > NETSTAT_MIB_MAX_CPUS) {
    *error = "the BPF reader of namespace counters sums at most " +
             std::to_string(NETSTAT_MIB_MAX_CPUS) + " possible CPUs";
    return nullptr;
  }
  impl->cpus = static_cast<uint32_t>(cpus);
  if (!impl->LoadEnumerators(error)) return nullptr;
  impl->skel = net_mib_bpf__open_and_load();
  if (impl->skel == nullptr) {
    *error = Errno("loading the BPF reader of namespace counters (net_mib.bpf.c)", errno);
    return nullptr;
  }
  if (impl->skel->bss == nullptr) {
    *error = "loading the BPF reader of namespace counters: its memory cannot be mapped";
    return nullptr;
  }
  shared.reset(new NetMib(std::move(impl)));
  return shared;
}

std::optional<MibField> NetMib::Find(std::string_view group, std::string_view name) const {
  struct Group {
    std::string_view name;
    uint32_t kind;
    const char* prefix;
  };
  constexpr Group kGroups[] = {{"Tcp", NETSTAT_MIB_TCP, "TCP_MIB_"},
                               {"Udp", NETSTAT_MIB_UDP, "UDP_MIB_"},
                               {"UdpLite", NETSTAT_MIB_UDPLITE, "UDP_MIB_"},
                               {"TcpExt", NETSTAT_MIB_LINUX, "LINUX_MIB_"}};
  // The pairs of net/ipv4/proc.c whose name is not the enumerator's in capitals.
  struct Alias {
    std::string_view group, name;
    const char* enumerator;
  };
  constexpr Alias kAliases[] = {
      {"Tcp", "InCsumErrors", "TCP_MIB_CSUMERRORS"},
      {"Udp", "InCsumErrors", "UDP_MIB_CSUMERRORS"},
      {"UdpLite", "InCsumErrors", "UDP_MIB_CSUMERRORS"},
      {"TcpExt", "TW", "LINUX_MIB_TIMEWAITED"},
      {"TcpExt", "TWRecycled", "LINUX_MIB_TIMEWAITRECYCLED"},
      {"TcpExt", "TWKilled", "LINUX_MIB_TIMEWAITKILLED"},
      {"TcpExt", "PAWSActive", "LINUX_MIB_PAWSACTIVEREJECTED"},
      {"TcpExt", "PAWSEstab", "LINUX_MIB_PAWSESTABREJECTED"},
      {"TcpExt", "PAWSOldAck", "LINUX_MIB_PAWS_OLD_ACK"},
      {"TcpExt", "PAWSTimewait", "LINUX_MIB_PAWS_TW_REJECTED"},
      {"TcpExt", "BeyondWindow", "LINUX_MIB_BEYOND_WINDOW"},
      {"TcpExt", "TCPSackShifted", "LINUX_MIB_SACKSHIFTED"},
      {"TcpExt", "TCPSackMerged", "LINUX_MIB_SACKMERGED"},
      {"TcpExt", "TCPSackShiftFallback", "LINUX_MIB_SACKSHIFTFALLBACK"},
      {"TcpExt", "IPReversePathFilter", "LINUX_MIB_IPRPFILTER"},
      {"TcpExt", "TCPSpuriousRtxHostQueues", "LINUX_MIB_TCPSPURIOUS_RTX_HOSTQUEUES"},
  };
  for (const Group& g : kGroups) {
    if (g.name != group) continue;
    std::string enumerator = g.prefix + Upper(name);
    for (const Alias& a : kAliases) {
      if (a.group == group && a.name == name) enumerator = a.enumerator;
    }
    auto it = impl_->enumerators.find(enumerator);
    if (it == impl_->enumerators.end()) return std::nullopt;
    return MibField{g.kind, it->second, enumerator == "TCP_MIB_MAXCONN"};
  }
  return std::nullopt;
}

bool NetMib::Read(const std::vector<MibField>& fields, const std::vector<uint64_t>& inodes,
                  std::vector<uint64_t>* values, std::vector<Found>* found, std::string* error) {
  std::lock_guard lock(mu_);
  values->assign(inodes.size() * fields.size(), 0);
  found->assign(inodes.size(), Found::kNo);
  if (fields.size() > kMaxFields) {
    *error = "the BPF reader of namespace counters reads at most " + std::to_string(kMaxFields) +
             " fields";
    return false;
  }
  auto* bss = impl_->skel->bss;
  bss->cpu_count = impl_->cpus;
  bss->field_count = static_cast<uint32_t>(fields.size());
  for (size_t f = 0; f < fields.size(); ++f) {
    bss->field_kind[f] = fields[f].kind;
    bss->field_index[f] = fields[f].index;
  }
  for (size_t first = 0; first < inodes.size(); first += NETSTAT_MIB_MAX_NS) {
    const size_t n = std::min<size_t>(NETSTAT_MIB_MAX_NS, inodes.size() - first);
    for (size_t i = 0; i < n; ++i) bss->ns_inodes[i] = static_cast<uint32_t>(inodes[first + i]);
    bss->ns_count = static_cast<uint32_t>(n);
    std::memset(bss->found, 0, n);
    if (!impl_->Run(error)) return false;
    for (size_t i = 0; i < n; ++i) {
      (*found)[first + i] = static_cast<Found>(bss->found[i]);
      if (bss->found[i] != NETSTAT_MIB_READ) continue;
      std::copy_n(bss->values[i], fields.size(), values->begin() + (first + i) * fields.size());
    }
  }
  return true;
}

#else  // !NETSTAT_HAVE_BPF

struct NetMib::Impl {};

std::shared_ptr<NetMib> NetMib::Shared(std::string* error) {
  *error = Forced() ? "NETSTAT_EXPORTER_NO_BPF_MIB=1 is set"
                    : "this build has no BPF support (clang, bpftool, libbpf or BTF missing at "
                      "build time)";
  return nullptr;
}

std::optional<MibField> NetMib::Find(std::string_view, std::string_view) const {
  return std::nullopt;
}

bool NetMib::Read(const std::vector<MibField>&, const std::vector<uint64_t>&,
                  std::vector<uint64_t>*, std::vector<Found>*, std::string* error) {
  *error = "no BPF support";
  return false;
}

#endif

NetMib::NetMib(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NetMib::~NetMib() = default;

}  // namespace netstat::net_mib
