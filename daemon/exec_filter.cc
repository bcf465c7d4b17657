// A classic BPF program over struct seccomp_data: a call of another ABI (i386, x32) or
// execve/execveat returns EPERM, everything else is allowed. The daemon uses neither,
// so only an attacker's exec would notice.
#include "daemon/exec_filter.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace netstat::daemon {
namespace {

#if defined(__x86_64__)
constexpr uint32_t kArch = AUDIT_ARCH_X86_64;
constexpr uint32_t kForeignCalls = 0x40000000;  // __X32_SYSCALL_BIT: x32 numbers are above
#elif defined(__aarch64__)
constexpr uint32_t kArch = AUDIT_ARCH_AARCH64;
constexpr uint32_t kForeignCalls = 0xffffffff;
#else
constexpr uint32_t kArch = 0;  // unknown: no filter
constexpr uint32_t kForeignCalls = 0;
#endif

constexpr sock_filter Load(uint32_t offset) { return BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset); }
constexpr sock_filter Jump(uint32_t op, uint32_t k, uint8_t if_true, uint8_t if_false) {
  return BPF_JUMP(BPF_JMP | op | BPF_K, k, if_true, if_false);
}
constexpr sock_filter Return(uint32_t what) { return BPF_STMT(BPF_RET | BPF_K, what); }

}  // namespace

std::string DenyExec() {
  if (kArch == 0) return "no exec filter for this architecture";
  constexpr uint32_t kDeny = SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA);
  sock_filter program[] = {
      Load(offsetof(seccomp_data, arch)), Jump(BPF_JEQ, kArch, 1, 0),         Return(kDeny),
      Load(offsetof(seccomp_data, nr)),   Jump(BPF_JGE, kForeignCalls, 0, 1), Return(kDeny),
      Jump(BPF_JEQ, SYS_execve, 1, 0),    Jump(BPF_JEQ, SYS_execveat, 0, 1),  Return(kDeny),
      Return(SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof program / sizeof program[0]), program};
  const long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
  if (r == 0) return "";
  if (r > 0) return "seccomp: thread " + std::to_string(r) + " could not be synchronised";
  return std::string("seccomp: ") + std::strerror(errno);
}

}  // namespace netstat::daemon
