// Whether a BPF program of the project must load here: built with BPF, run as root, with
// the kernel's BTF. Where it must, a kernel test that cannot load its program fails
// instead of skipping, so a program the verifier refuses is a red test, not a skip.
#pragma once

#include <unistd.h>

namespace netstat::testing {

inline bool BpfMustLoad() {
#if defined(NETSTAT_HAVE_BPF) && NETSTAT_HAVE_BPF
  return geteuid() == 0 && access("/sys/kernel/btf/vmlinux", R_OK) == 0;
#else
  return false;
#endif
}

}  // namespace netstat::testing

// Skips the test when the program may not load here, fails it when it must.
#define NETSTAT_SKIP_OR_FAIL_BPF(what)                                                 \
  do {                                                                                 \
    if (::netstat::testing::BpfMustLoad()) FAIL() << "must load here but: " << (what); \
    GTEST_SKIP() << "cannot load here: " << (what);                                    \
  } while (0)
