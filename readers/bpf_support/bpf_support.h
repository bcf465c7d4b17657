// What every BPF loader of the project does first: ask whether this thread may load
// (CAP_BPF and CAP_PERFMON effective), so that an exporter without them never calls
// bpf(), and send libbpf's messages (the verifier's log when a load fails) to the debug
// log instead of stderr. Without NETSTAT_HAVE_BPF, MayLoad is false.
#pragma once

namespace netstat::bpf_support {

bool MayLoad();
// Sets libbpf's print callback; its messages go to spdlog::debug as "libbpf: ...".
void LogLibbpf();

}  // namespace netstat::bpf_support
