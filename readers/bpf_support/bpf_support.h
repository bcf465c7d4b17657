// What every BPF loader of the project does first: ask whether this thread may load
// (CAP_BPF and CAP_PERFMON effective), so that an exporter without them never calls
// bpf(), and send libbpf's messages (the verifier's log when a load fails) to the debug
// log instead of stderr. Without NETSTAT_HAVE_BPF, MayLoad is false. And what every
// reader of a BPF iterator does: read one from its link to the end.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace netstat::bpf_support {

bool MayLoad();
// Sets libbpf's print callback; its messages go to spdlog::debug as "libbpf: ...".
void LogLibbpf();

// "what: <strerror(error)>".
std::string Errno(const char* what, int error);

// A new iterator of the attached iter program whose link is `link_fd`, read to its end
// through `buffer` (its size is what one read asks for), each read's bytes handed to
// `feed` (a record may straddle two reads). False, with "creating|reading <what>: ..." in
// *error, when the kernel refuses. EINTR and EAGAIN (the kernel ends a read after a
// million objects without output) only read again.
bool ReadIterator(int link_fd, std::vector<char>* buffer,
                  const std::function<void(const char*, size_t)>& feed, const std::string& what,
                  std::string* error);

}  // namespace netstat::bpf_support
