// netstat_e2e_lossy DATA_PORT DATA_EVERY SYN_PORT: attaches lossy_lo.bpf.c at tc ingress
// of `lo` in the caller's network namespace (a namespace the test made), prints
// "ready PID", and on SIGTERM prints "dropped N", detaches and exits. Root.
#include <bpf/libbpf.h>
#include <net/if.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "lossy_lo.skel.h"

namespace {
volatile sig_atomic_t g_stop = 0;
void Stop(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s DATA_PORT DATA_EVERY SYN_PORT\n", argv[0]);
    return 2;
  }
  lossy_lo_bpf* skel = lossy_lo_bpf__open();
  if (skel == nullptr) return std::perror("open"), 1;
  skel->rodata->data_port = static_cast<__u16>(std::atoi(argv[1]));
  skel->rodata->data_every = static_cast<__u32>(std::atoi(argv[2]));
  skel->rodata->syn_port = static_cast<__u16>(std::atoi(argv[3]));
  if (int err = lossy_lo_bpf__load(skel)) {
    std::fprintf(stderr, "load: %s\n", std::strerror(-err));
    return 1;
  }
  bpf_tc_hook hook{};
  hook.sz = sizeof hook;
  hook.ifindex = static_cast<int>(if_nametoindex("lo"));
  hook.attach_point = BPF_TC_INGRESS;
  int err = bpf_tc_hook_create(&hook);
  if (err != 0 && err != -EEXIST) {
    std::fprintf(stderr, "clsact on lo: %s\n", std::strerror(-err));
    return 1;
  }
  bpf_tc_opts opts{};
  opts.sz = sizeof opts;
  opts.prog_fd = bpf_program__fd(skel->progs.lossy);
  if ((err = bpf_tc_attach(&hook, &opts)) != 0) {
    std::fprintf(stderr, "attach: %s\n", std::strerror(-err));
    return 1;
  }
  signal(SIGTERM, Stop);
  signal(SIGINT, Stop);
  std::printf("ready %d\n", getpid());
  std::fflush(stdout);
  while (!g_stop) pause();
  std::printf("dropped %llu\n", static_cast<unsigned long long>(skel->bss->dropped));
  std::fflush(stdout);
  hook.attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS);
  bpf_tc_hook_destroy(&hook);
  lossy_lo_bpf__destroy(skel);
  return 0;
}
