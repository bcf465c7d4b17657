// Loading goes through the bpftool skeleton: open, size the per-port map from max_series,
// set the namespace filter, load with CO-RE relocations against the kernel's BTF, attach
// the six tp_btf programs. Reading walks the per-port map with get_next_key; it is
// bounded by max_series keys.
#include "readers/tcp_health/tcp_health_trace.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "readers/bpf_support/bpf_support.h"

#if NETSTAT_HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "readers/bpf_support/map_entries.h"
#include "tcp_health.skel.h"
#endif

namespace netstat::tcp_health {

#if NETSTAT_HAVE_BPF

struct TcpHealthTrace::Impl {
  tcp_health_bpf* skel = nullptr;
  std::vector<std::string> reasons;  // enum skb_drop_reason value -> "no_socket"
  ~Impl() {
    if (skel != nullptr) tcp_health_bpf__destroy(skel);
  }
};

namespace {

Availability Failed(const char* step, int err) {
  err = err < 0 ? -err : err;
  // bpf() refused although the capabilities are there: a seccomp profile, an LSM or
  // lockdown says no. That is the environment's choice, like a missing capability.
  const bool denied = err == EPERM || err == EACCES;
  return Availability{false, denied, std::string(step) + ": " + std::strerror(err)};
}

// The names of this kernel's enum skb_drop_reason by value, lower-cased and without the
// SKB_DROP_REASON_ prefix; empty when the BTF has none (the drops then go by number).
std::vector<std::string> DropReasonNames() {
  std::vector<std::string> names;
  btf* vmlinux = btf__load_vmlinux_btf();
  if (vmlinux == nullptr) return names;
  const int id = btf__find_by_name_kind(vmlinux, "skb_drop_reason", BTF_KIND_ENUM);
  const btf_type* t = id > 0 ? btf__type_by_id(vmlinux, id) : nullptr;
  constexpr std::string_view kPrefix = "SKB_DROP_REASON_";
  for (int i = 0; t != nullptr && i < btf_vlen(t); ++i) {
    const struct btf_enum& e = btf_enum(t)[i];
    std::string name = btf__name_by_offset(vmlinux, e.name_off);
    if (name.rfind(kPrefix, 0) == 0) name.erase(0, kPrefix.size());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto value = static_cast<uint32_t>(e.val);
    if (value > 4096) continue;
    if (names.size() <= value) names.resize(value + 1);
    names[value] = name;
  }
  btf__free(vmlinux);
  return names;
}

}  // namespace

std::unique_ptr<TcpHealthTrace> TcpHealthTrace::Open(uint64_t only_netns, uint32_t max_series,
                                                     Availability* why) {
  *why = listen_trace::CheckPrerequisites();
  if (!why->loaded) return nullptr;
  bpf_support::LogLibbpf();
  auto impl = std::make_unique<Impl>();
  impl->skel = tcp_health_bpf__open();
  if (impl->skel == nullptr) {
    *why = Failed("opening the BPF object", errno);
    return nullptr;
  }
  impl->skel->rodata->only_netns = only_netns;
  for (bpf_map* map :
       {impl->skel->maps.ports, impl->skel->maps.udp_drops, impl->skel->maps.drops}) {
    if (int err = bpf_map__set_max_entries(map, max_series)) {
      *why = Failed("sizing the per-port maps", err);
      return nullptr;
    }
  }
  if (int err = tcp_health_bpf__load(impl->skel)) {
    *why = Failed("loading the BPF programs", err);
    return nullptr;
  }
  if (int err = tcp_health_bpf__attach(impl->skel)) {
    *why = Failed("attaching to the TCP tracepoints", err);
    return nullptr;
  }
  impl->reasons = DropReasonNames();
  *why = Availability{true, true, ""};
  return std::unique_ptr<TcpHealthTrace>(new TcpHealthTrace(std::move(impl)));
}

void TcpHealthTrace::SetRemotePorts(const std::vector<uint16_t>& ports) {
  uint32_t words[NETSTAT_TH_REMOTE_WORDS] = {};
  for (uint16_t p : ports) words[p >> 5] |= 1u << (p & 31);
  for (uint32_t i = 0; i < NETSTAT_TH_REMOTE_WORDS; ++i) {
    bpf_map__update_elem(impl_->skel->maps.remote_ports, &i, sizeof i, &words[i], sizeof words[i],
                         BPF_ANY);
  }
}

std::vector<PortHealth> TcpHealthTrace::Read() const {
  std::vector<PortHealth> out;
  bpf_support::ForEachEntry<netstat_th_key, netstat_th_value>(
      impl_->skel->maps.ports, [&](const netstat_th_key& k, const netstat_th_value& v) {
        out.push_back({k, v});
      });
  return out;
}

std::vector<UdpDrops> TcpHealthTrace::ReadUdpDrops() const {
  std::vector<UdpDrops> out;
  bpf_support::ForEachEntry<netstat_th_udp_key, uint64_t>(
      impl_->skel->maps.udp_drops, [&](const netstat_th_udp_key& k, uint64_t n) {
        out.push_back({k.netns, k.port, n});
      });
  return out;
}

std::vector<PortDrops> TcpHealthTrace::ReadDrops() const {
  std::vector<PortDrops> out;
  const std::vector<std::string>& names = impl_->reasons;
  bpf_support::ForEachEntry<netstat_th_drop_key, uint64_t>(
      impl_->skel->maps.drops, [&](const netstat_th_drop_key& k, uint64_t n) {
        std::string reason = k.reason < names.size() && !names[k.reason].empty()
                                 ? names[k.reason]
                                 : "reason_" + std::to_string(k.reason);
        out.push_back({k.netns, k.protocol, k.port, std::move(reason), n});
      });
  return out;
}

uint64_t TcpHealthTrace::Dropped() const {
  const uint32_t slot = NETSTAT_TH_DROPPED;
  uint64_t value = 0;
  if (bpf_map__lookup_elem(impl_->skel->maps.counters, &slot, sizeof slot, &value, sizeof value,
                           0)) {
    return 0;
  }
  return value;
}

void TcpHealthTrace::ForgetNamespaces(const std::function<bool(uint64_t)>& keep) {
  for (const PortHealth& h : Read()) {
    if (!keep(h.key.netns)) {
      bpf_map__delete_elem(impl_->skel->maps.ports, &h.key, sizeof h.key, 0);
    }
  }
  bpf_support::ForEachEntry<netstat_th_drop_key, uint64_t>(
      impl_->skel->maps.drops, [&](const netstat_th_drop_key& k, uint64_t) {
        if (!keep(k.netns)) bpf_map__delete_elem(impl_->skel->maps.drops, &k, sizeof k, 0);
      });
  for (const UdpDrops& d : ReadUdpDrops()) {
    if (keep(d.netns)) continue;
    netstat_th_udp_key key{};
    key.netns = d.netns;
    key.port = d.port;
    bpf_map__delete_elem(impl_->skel->maps.udp_drops, &key, sizeof key, 0);
  }
}

#else  // !NETSTAT_HAVE_BPF

struct TcpHealthTrace::Impl {};

std::unique_ptr<TcpHealthTrace> TcpHealthTrace::Open(uint64_t, uint32_t, Availability* why) {
  *why = listen_trace::CheckPrerequisites();
  return nullptr;
}
void TcpHealthTrace::SetRemotePorts(const std::vector<uint16_t>&) {}
std::vector<PortHealth> TcpHealthTrace::Read() const { return {}; }
std::vector<UdpDrops> TcpHealthTrace::ReadUdpDrops() const { return {}; }
std::vector<PortDrops> TcpHealthTrace::ReadDrops() const { return {}; }
uint64_t TcpHealthTrace::Dropped() const { return 0; }
void TcpHealthTrace::ForgetNamespaces(const std::function<bool(uint64_t)>&) {}

#endif

TcpHealthTrace::TcpHealthTrace(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TcpHealthTrace::~TcpHealthTrace() = default;

}  // namespace netstat::tcp_health
