#include "readers/socket_reading/socket_reading.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>

#include "readers/procfs/root.h"
#include "readers/socket_reading/namespace_tables.h"
#include "readers/tcp_iter/host_walk.h"
#include "readers/tcp_iter/tcp_iter_counter.h"

namespace netstat::socket_reading {
namespace {

namespace st = socket_table;

constexpr st::Protocol kInetProtocols[] = {st::Protocol::kTcp, st::Protocol::kUdp,
                                           st::Protocol::kUdpLite, st::Protocol::kRaw};
constexpr st::Family kFamilies[] = {st::Family::kIpv4, st::Family::kIpv6};
constexpr uint32_t kListenOnly = st::StateBit(st::kListen);

struct Member {
  SocketConsumer* consumer;
  Interest interest;
};

struct Wanted {
  SocketConsumer* consumer;
  std::array<uint32_t, 2> states;  // by family: ipv4, ipv6
};

// One inet dump of `families` (one, or both when the table walks the kernel once for
// both) for the members that want any state of `phase` in them. False when the dump
// failed and the namespace turned out to be gone.
template <typename Dump>
bool DumpFor(st::Protocol p, std::initializer_list<st::Family> families, uint32_t phase,
             const std::vector<Member>& members, const std::function<bool()>& gone, Dump&& dump) {
  std::vector<Wanted> wanted;
  uint32_t mask = 0;
  for (const Member& m : members) {
    Wanted w{m.consumer, {}};
    for (st::Family f : families) {
      w.states[static_cast<size_t>(f)] = m.interest.States(p, f) & phase;
      mask |= w.states[static_cast<size_t>(f)];
    }
    if (w.states[0] != 0 || w.states[1] != 0) wanted.push_back(w);
  }
  if (wanted.empty()) return true;
  for (const Wanted& w : wanted) w.consumer->SaveDump();
  const std::function<void(const st::InetSocket&)> visit = [&wanted](const st::InetSocket& s) {
    const uint32_t bit = s.state < 32 ? st::StateBit(s.state) : 0;
    const size_t family = s.family == st::Family::kIpv6 ? 1 : 0;
    for (const Wanted& w : wanted) {
      if (w.states[family] & bit) w.consumer->OnInet(s);
    }
  };
  st::DumpResult r;
  for (int attempt = 1; attempt <= st::kMaxDumpAttempts; ++attempt) {
    if (attempt > 1) {
      for (const Wanted& w : wanted) w.consumer->RestoreDump();
    }
    if (!dump(mask, visit, &r)) return false;
    if (!r.ok || !r.interrupted) break;
  }
  if (!r.ok && gone()) return false;
  if (r.interrupted) {
    spdlog::debug("sockets: {} dump still interrupted after {} attempts", st::ProtocolName(p),
                  st::kMaxDumpAttempts);
  }
  for (const Wanted& w : wanted) {
    for (st::Family f : families) {
      if (w.states[static_cast<size_t>(f)] != 0) w.consumer->EndDump(p, f, r);
    }
  }
  return true;
}

// Both families of `p`: in one walk when the table can, else one dump each. False when
// the namespace vanished.
bool DumpInet(st::SocketTable& table, st::Protocol p, uint32_t phase,
              const std::vector<Member>& members, const std::function<bool()>& gone) {
  bool combined = table.BothFamiliesAtOnce(p);
  const bool read =
      combined &&
      DumpFor(p, {st::Family::kIpv4, st::Family::kIpv6}, phase, members, gone,
              [&](uint32_t mask, const std::function<void(const st::InetSocket&)>& visit,
                  st::DumpResult* r) {
                combined = table.DumpInetBothFamilies(p, mask, visit, r);
                return combined;
              });
  if (combined) return read;  // else it was refused, having visited nothing
  for (st::Family f : kFamilies) {
    const bool ok =
        DumpFor(p, {f}, phase, members, gone,
                [&](uint32_t mask, const std::function<void(const st::InetSocket&)>& visit,
                    st::DumpResult* r) {
                  *r = table.DumpInet(p, f, mask, visit);
                  return true;
                });
    if (!ok) return false;
  }
  return true;
}

// `none`: the walk found the namespace's unix table empty (a dump takes its 512 locks).
bool DumpUnix(st::SocketTable& table, const std::vector<Member>& members,
              const std::function<bool()>& gone, bool none) {
  std::vector<SocketConsumer*> wanted;
  for (const Member& m : members) {
    if (m.interest.unix()) wanted.push_back(m.consumer);
  }
  if (wanted.empty()) return true;
  if (none) {
    for (SocketConsumer* c : wanted) c->EndDump(st::Protocol::kUnix, st::Family::kUnix, {});
    return true;
  }
  for (SocketConsumer* c : wanted) c->SaveDump();
  const st::DumpResult r = table.DumpUnix([&wanted](const st::UnixSocket& s) {
    for (SocketConsumer* c : wanted) c->OnUnix(s);
  });
  if (!r.ok && gone()) return false;
  for (SocketConsumer* c : wanted) c->EndDump(st::Protocol::kUnix, st::Family::kUnix, r);
  return true;
}

// The TCP sockets other than listeners counted by `counter` instead of dumped, when every
// member that wants any of them takes counts. False: dump them by netlink (a member needs
// each socket, or the run failed, which is logged once per distinct reason).
bool CountTcp(tcp_iter::TcpCounter& counter, const std::vector<Member>& members) {
  std::vector<std::pair<SocketConsumer*, Interest>> takers;
  std::vector<uint16_t> local, remote;
  for (const Member& m : members) {
    const uint32_t v4 = m.interest.States(st::Protocol::kTcp, st::Family::kIpv4) & ~kListenOnly;
    const uint32_t v6 = m.interest.States(st::Protocol::kTcp, st::Family::kIpv6) & ~kListenOnly;
    if (v4 == 0 && v6 == 0) continue;
    if (!m.consumer->TakesTcpCounts(&local, &remote)) return false;
    takers.emplace_back(m.consumer, m.interest);
  }
  if (takers.empty()) return true;
  tcp_iter::TcpCounts counts;
  std::string error;
  if (!counter.Count(local, remote, &counts, &error)) {
    static std::mutex mu;
    static std::string logged;
    std::lock_guard lock(mu);
    if (logged != error) spdlog::warn("sockets: {}; reading TCP by netlink instead", error);
    logged = error;
    return false;
  }
  const st::DumpResult ok;
  for (const auto& [consumer, interest] : takers) {
    consumer->OnTcpCounts(counts);
    for (st::Family f : kFamilies) {
      if (interest.States(st::Protocol::kTcp, f) & ~kListenOnly) {
        consumer->EndDump(st::Protocol::kTcp, f, ok);
      }
    }
  }
  return true;
}

// Logs the own namespace's source once per process, and again only when it changes
// (e.g. on reload with another --path.procfs).
void LogSource(st::Source source, const std::string& procfs) {
  static std::atomic<int> logged{-1};
  if (logged.exchange(static_cast<int>(source)) == static_cast<int>(source)) return;
  if (source == st::Source::kNetlink) {
    spdlog::info("sockets: reading sockets through netlink sock_diag");
  } else {
    spdlog::info("sockets: reading sockets from {}/net (procfs)", procfs);
  }
}

// Once per process and reason: the iterator cannot be used, so TCP is read by netlink.
void LogNoIterator(tcp_iter::SourceMode mode, const std::string& error) {
  static std::mutex mu;
  static std::string logged;
  std::lock_guard lock(mu);
  if (logged == error) return;
  logged = error;
  if (mode == tcp_iter::SourceMode::kBpf) {
    spdlog::warn("sockets: source bpf: {}; reading TCP by netlink instead", error);
  } else {
    spdlog::info("sockets: source auto: {}; reading TCP by netlink", error);
  }
}

// The sockets of `p` (both families) in `states` from `sockets` instead of a dump.
void ServeInet(st::Protocol p, uint32_t states, const std::vector<st::InetSocket>& sockets,
               const std::vector<Member>& members, const std::function<bool()>& gone) {
  DumpFor(p, {st::Family::kIpv4, st::Family::kIpv6}, states, members, gone,
          [&sockets, p](uint32_t mask, const std::function<void(const st::InetSocket&)>& visit,
                        st::DumpResult* r) {
            for (const st::InetSocket& s : sockets) {
              if (s.protocol == p && s.state < 32 && (mask & st::StateBit(s.state))) visit(s);
            }
            *r = st::DumpResult{};
            return true;
          });
}

}  // namespace

bool ReadNamespace(st::SocketTable& table, const std::vector<SocketConsumer*>& consumers,
                   const std::function<bool()>& gone, tcp_iter::TcpCounter* counter,
                   const tcp_iter::HostNamespace* walked) {
  std::vector<Member> members;
  for (SocketConsumer* c : consumers) members.push_back({c, c->interest()});
  if (walked != nullptr) {
    ServeInet(st::Protocol::kTcp, kListenOnly, walked->listeners, members, gone);
  } else if (!DumpInet(table, st::Protocol::kTcp, kListenOnly, members, gone)) {
    return false;
  }
  for (const Member& m : members) m.consumer->ListenersRead();
  for (st::Protocol p : kInetProtocols) {
    if (p == st::Protocol::kTcp && counter != nullptr && CountTcp(*counter, members)) continue;
    if ((p == st::Protocol::kUdp || p == st::Protocol::kUdpLite) && walked != nullptr &&
        walked->udp_complete) {
      ServeInet(p, st::kAllStates, walked->udp, members, gone);
      continue;
    }
    if (p == st::Protocol::kRaw && walked != nullptr && walked->raw_complete) {
      ServeInet(p, st::kAllStates, walked->raw, members, gone);
      continue;
    }
    const uint32_t phase = p == st::Protocol::kTcp ? st::kAllStates & ~kListenOnly : st::kAllStates;
    const bool rtt = p == st::Protocol::kTcp &&
                     std::any_of(members.begin(), members.end(),
                                 [](const Member& m) { return m.interest.tcp_rtt(); });
    if (rtt) table.SetTcpInfo(true);
    const bool read = DumpInet(table, p, phase, members, gone);
    if (rtt) table.SetTcpInfo(false);
    if (!read) return false;
  }
  if (!DumpUnix(table, members, gone, walked != nullptr && walked->unix_empty)) return false;
  const std::function<std::string(uint32_t)> name = [&table](uint32_t index) {
    return table.InterfaceName(index);
  };
  for (const Member& m : members) m.consumer->NameInterfaces(name);
  return true;
}

SocketReading::SocketReading(std::unique_ptr<st::SocketTable> own,
                             std::shared_ptr<tcp_iter::TcpCounter> counter)
    : SocketReading(std::move(own), std::unique_ptr<NamespaceTables>()) {
  counter_ = std::move(counter);
}

SocketReading::SocketReading(std::unique_ptr<st::SocketTable> own,
                             std::unique_ptr<NamespaceTables> others)
    : own_(std::move(own)), others_(std::move(others)) {}

SocketReading::~SocketReading() = default;

std::unique_ptr<SocketReading> SocketReading::Open(const procfs::Root& root,
                                                   const procfs::Site& site,
                                                   const config::Config& config, bool tcp_counts) {
  auto own = st::OpenSocketTable(root, site.live_network);
  LogSource(own->source(), root.procfs());
  std::unique_ptr<NamespaceTables> others;
  if (config.namespaces.mode == config::NamespacesConfig::Mode::kAll) {
    // The BPF task list where the sockets may be read by BPF too (source netlink asks
    // for none).
    const bool bpf = config.sockets.source != tcp_iter::SourceMode::kNetlink && site.live_network;
    others = std::make_unique<NamespaceTables>(root, config.namespaces, bpf ? site.self_pid : 0);
  }
  const bool netlink = own->source() == st::Source::kNetlink;
  std::unique_ptr<SocketReading> reading(new SocketReading(std::move(own), std::move(others)));
  reading->mode_ = config.sockets.source;
  reading->procfs_ = root.procfs();
  if (reading->mode_ != tcp_iter::SourceMode::kNetlink && netlink && tcp_counts) {
    std::string error;
    // In mode all the walk of the host counts the own namespace too; the per-namespace
    // counter is loaded only when the walk cannot be (each maps its memory into ours).
    if (reading->others_) {
      reading->host_ = tcp_iter::HostWalk::Shared(&error);
      if (!reading->host_) LogNoIterator(reading->mode_, "one walk of the host: " + error);
    }
    if (!reading->host_) {
      reading->counter_ = tcp_iter::TcpIterCounter::Shared(&error);
      if (!reading->counter_) LogNoIterator(reading->mode_, error);
    }
  }
  return reading;
}

tcp_iter::TcpCounter* SocketReading::ChooseCounter() {
  if (!counter_) return nullptr;
  return OwnInKernel(counter_->AutoCrossover()) ? counter_.get() : nullptr;
}

bool SocketReading::OwnInKernel(uint64_t crossover) {
  std::optional<uint64_t> tcp_sockets;
  if (mode_ == tcp_iter::SourceMode::kAuto) {
    std::string sockstat, sockstat6;
    procfs::ReadTextFile(procfs_ + "/net/sockstat", &sockstat);
    procfs::ReadTextFile(procfs_ + "/net/sockstat6", &sockstat6);
    tcp_sockets = tcp_iter::TcpSocketsInUse(sockstat, sockstat6);
  }
  const bool use = tcp_iter::UseIterator(mode_, true, tcp_sockets, last_used_counter_, crossover);
  if (use != last_used_counter_ && mode_ == tcp_iter::SourceMode::kAuto) {
    spdlog::info("sockets: source auto: {} TCP sockets (crossover {}): {}",
                 tcp_sockets ? std::to_string(*tcp_sockets) : "unknown", crossover,
                 use ? "counting TCP in the kernel (BPF)" : "reading TCP by netlink");
  } else if (use != last_used_counter_) {
    spdlog::info("sockets: source bpf: counting TCP in the kernel (BPF)");
  }
  last_used_counter_ = use;
  return use;
}

void SocketReading::WalkHost(const std::vector<SocketConsumer*>& consumers) {
  pass_.Clear();
  const std::vector<uint64_t> others = others_->ReadableInodes();
  bool walk = HostPass::Wanted(mode_, host_ != nullptr, others.size());
  // Alone, the own namespace is walked from the crossover on, as the per-namespace
  // counter would count it (the walk stands in for that counter, not loaded beside it).
  if (!walk && host_ && others.empty() && mode_ == tcp_iter::SourceMode::kAuto) {
    walk = OwnInKernel(tcp_iter::kWalkCrossover);
  }
  // Every consumer of the TCP sockets other than listeners must take counts (asked here
  // once for the run, for the remote ports; the local ports come from the walk).
  std::vector<uint16_t> local, remote;
  for (SocketConsumer* c : consumers) {
    const Interest i = c->interest();
    const bool tcp = ((i.States(st::Protocol::kTcp, st::Family::kIpv4) |
                       i.States(st::Protocol::kTcp, st::Family::kIpv6)) &
                      ~kListenOnly) != 0;
    if (walk && tcp && !c->TakesTcpCounts(&local, &remote)) walk = false;
  }
  std::vector<uint64_t> inodes{others_->own_inode()};
  inodes.insert(inodes.end(), others.begin(), others.end());
  walk = walk && pass_.Run(*host_, inodes, remote);
  if (walk != last_walked_) {
    spdlog::info("sockets: {}", walk ? "one walk of the host's TCP for every namespace (BPF)"
                                     : "reading each namespace's TCP by netlink");
  }
  last_walked_ = walk;
}

void SocketReading::Read(const std::vector<SocketConsumer*>& consumers, NamespacesSeen* seen) {
  for (SocketConsumer* c : consumers) c->BeginRead();
  if (others_) {
    others_->Refresh();
    WalkHost(consumers);
  }
  const tcp_iter::HostNamespace* own_walked = others_ ? pass_.Find(others_->own_inode()) : nullptr;
  NamespaceView own_view{true, "", own_->source()};
  own_view.walked = own_walked != nullptr;
  for (SocketConsumer* c : consumers) c->BeginNamespace(own_view);
  // Only a run that reads non-listening TCP sockets chooses (and may log the choice).
  bool wants_tcp = false;
  for (SocketConsumer* c : consumers) {
    const Interest i = c->interest();
    wants_tcp = wants_tcp || ((i.States(st::Protocol::kTcp, st::Family::kIpv4) |
                               i.States(st::Protocol::kTcp, st::Family::kIpv6)) &
                              ~kListenOnly) != 0;
  }
  if (own_walked != nullptr) {
    PrecountedCounter counted(own_walked->counts);
    ReadNamespace(
        *own_, consumers, [] { return false; }, &counted, own_walked);
  } else {
    ReadNamespace(
        *own_, consumers, [] { return false; }, wants_tcp ? ChooseCounter() : nullptr);
  }
  for (SocketConsumer* c : consumers) c->EndNamespace();
  if (!others_) return;

  others_->ForEachReadable(
      [&](const NamespaceView& view, st::SocketTable& table, const std::function<bool()>& gone) {
        const tcp_iter::HostNamespace* walked = pass_.Find(view.inode);
        NamespaceView walked_view = view;
        walked_view.walked = walked != nullptr;
        for (SocketConsumer* c : consumers) c->BeginNamespace(walked_view);
        std::optional<PrecountedCounter> counted;
        if (walked != nullptr) counted.emplace(walked->counts);
        // A namespace read from /proc/PID/net may lose its last process mid-read: the files
        // then vanish, which looks like "protocol not there" rather than like an error.
        const bool complete =
            ReadNamespace(table, consumers, gone, counted ? &*counted : nullptr, walked) &&
            (view.source != st::Source::kProcfs || !gone());
        for (SocketConsumer* c : consumers) {
          if (complete) {
            c->EndNamespace();
          } else {
            c->DiscardNamespace();
          }
        }
      });
  if (seen != nullptr) others_->Describe(seen);
}

}  // namespace netstat::socket_reading
