// SPDX-License-Identifier: GPL-2.0
/* The counters of `netstat -s` of many network namespaces in one run, read where the
 * kernel keeps them instead of through /proc/PID/net/{snmp,netstat}, whose every read makes
 * the kernel sum and print all of some 300 counters of the namespace (~0.1 ms). Run from
 * the exporter's namespace by user space (net_mib.cc) through BPF_PROG_TEST_RUN.
 *
 * The walk follows the kernel's list of namespaces (net->list, under RCU) from the
 * caller's one round the circle, as tcp_host.bpf.c does; for each namespace whose inode
 * is wanted (ns_inodes, ascending) it sums each wanted counter over the possible CPUs:
 * every MIB of net->mib is a per-CPU array of unsigned long indexed by the kernel's
 * enumerator (TCP_MIB_RETRANSSEGS), and /proc prints the sum over the possible CPUs of
 * the same slots (snmp_fold_field). User space maps field names to MIB and index from
 * the kernel's BTF.
 *
 * A CPU's copy of a per-CPU object is at its per-CPU address plus that CPU's offset
 * (__per_cpu_offset[cpu]), which is not a symbol this program can name on every kernel
 * (no kallsyms for data without CONFIG_KALLSYMS_ALL). So the offsets are taken from a
 * per-CPU array map of the program's own: its per-CPU address is in the map
 * (bpf_array.pptrs[0]) and bpf_map_lookup_percpu_elem gives its copy on each CPU. */
// clang-format off
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include "readers/net_mib/net_mib_layout.h"
// clang-format on

char LICENSE[] SEC("license") = "GPL";

#define MAX_NS NETSTAT_MIB_MAX_NS
#define MAX_FIELDS NETSTAT_MIB_MAX_FIELDS
#define MAX_CPUS NETSTAT_MIB_MAX_CPUS
#define MAX_NETS 16384 /* namespaces followed in the list */

extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
extern void* bpf_rdonly_cast(const void* obj__ign, __u32 btf_id) __ksym;

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} cpu_probe SEC(".maps");

/* Input. */
__u32 ns_count; /* wanted namespaces: their inodes, ascending */
__u32 ns_inodes[MAX_NS];
__u32 field_count; /* wanted counters: MIB kind and enumerator */
__u32 field_kind[MAX_FIELDS];
__u32 field_index[MAX_FIELDS];
__u32 cpu_count; /* possible CPUs (libbpf_num_possible_cpus) */

/* Output. found[] is cleared by user space for the first ns_count namespaces. */
__s32 error; /* -1 no namespace of the caller, -2 no per-CPU offsets */
__u32 nets_seen, nets_truncated;
__u8 found[MAX_NS];
__u64 values[MAX_NS][MAX_FIELDS];

/* The run's own state: kernel addresses, cleared before it returns. */
#define WALK_STATE SEC(".data.walk")
static __u64 cpu_offset[MAX_CPUS] WALK_STATE;
static __u64 w_mib[NETSTAT_MIB_KINDS] WALK_STATE; /* the namespace's per-CPU arrays */
static __u64 w_base WALK_STATE;                   /* cpu_probe's per-CPU address */
static __u64 w_node WALK_STATE, w_start WALK_STATE, w_ops WALK_STATE;
static __u32 w_round WALK_STATE, w_ns WALK_STATE, w_failed WALK_STATE;
static volatile __u64 w_link WALK_STATE;

/* A pointer's value as a plain number, through memory: the verifier then lets it be
 * added to and compared like any other (the program is loaded with CAP_PERFMON). */
#define AS_U64(expr) (w_link = (__u64)(expr), w_link)

static int cpu_step(__u32 c, void* unused) {
  __u32 zero = 0;
  void* copy;
  if (c >= cpu_count) return 1;
  copy = bpf_map_lookup_percpu_elem(&cpu_probe, &zero, c);
  if (!copy) {
    error = -2;
    return 1;
  }
  cpu_offset[c & (MAX_CPUS - 1)] = AS_U64(copy) - w_base;
  return 0;
}

struct sum {
  __u64 address; /* the counter's per-CPU address */
  __u64 total;
};

static int cpu_sum(__u32 c, struct sum* s) {
  __u64 v = 0;
  if (bpf_probe_read_kernel(&v, sizeof v, (void*)(s->address + cpu_offset[c & (MAX_CPUS - 1)]))) {
    w_failed = 1;
    return 1;
  }
  s->total += v;
  return 0;
}

static int field_step(__u32 f, void* unused) {
  struct sum s = {};
  __u32 kind, index;
  if (f >= field_count) return 1;
  f &= MAX_FIELDS - 1;
  kind = field_kind[f];
  index = field_index[f];
  if (kind >= NETSTAT_MIB_KINDS || index >= NETSTAT_MIB_MAX_INDEX || !w_mib[kind]) {
    w_failed = 1;
    return 1;
  }
  s.address = w_mib[kind] + (__u64)index * sizeof(unsigned long);
  bpf_loop(cpu_count, cpu_sum, &s, 0);
  values[w_ns & (MAX_NS - 1)][f] = s.total;
  return 0;
}

#include "readers/bpf_support/inode_search.bpf.h"

/* One namespace of the list per step. */
static int net_step(__u32 i, void* unused) {
  const __u32 list_off = bpf_core_field_offset(struct net, list);
  int idx;
  __u64 node = w_node;
  struct net* n;

  if (node == 0) return 1;
  if (node == w_start && i > 0) {
    w_round = 1;
    return 1;
  }
  n = bpf_rdonly_cast((void*)(node - list_off), bpf_core_type_id_kernel(struct net));
  w_node = AS_U64(n->list.next);
  if (AS_U64(n->ns.ops) != w_ops) return 0; /* the list head, in no struct net */
  nets_seen++;
  idx = inode_index(n->ns.inum);
  if (idx < 0) return 0;
  w_ns = idx;
  w_mib[NETSTAT_MIB_TCP] = AS_U64(n->mib.tcp_statistics);
  w_mib[NETSTAT_MIB_UDP] = AS_U64(n->mib.udp_statistics);
  w_mib[NETSTAT_MIB_UDPLITE] = 0;
  if (bpf_core_field_exists(n->mib.udplite_statistics))
    w_mib[NETSTAT_MIB_UDPLITE] = AS_U64(n->mib.udplite_statistics);
  w_mib[NETSTAT_MIB_LINUX] = AS_U64(n->mib.net_statistics);
  w_failed = 0;
  bpf_loop(MAX_FIELDS, field_step, 0, 0);
  found[w_ns & (MAX_NS - 1)] = w_failed ? NETSTAT_MIB_FAILED : NETSTAT_MIB_READ;
  return 0;
}

static int clear_cpu(__u32 c, void* unused) {
  cpu_offset[c & (MAX_CPUS - 1)] = 0;
  return 0;
}

SEC("syscall")
int read_mibs(void* ctx) {
  struct task_struct* task = bpf_get_current_task_btf();
  struct net* net = BPF_CORE_READ(task, nsproxy, net_ns);
  __u64 base = 0;

  error = 0;
  nets_seen = 0;
  nets_truncated = 0;
  if (cpu_count > MAX_CPUS) cpu_count = MAX_CPUS;
  if (!net) {
    error = -1;
    return 0;
  }
  if (bpf_probe_read_kernel(
          &base, sizeof base,
          (void*)(AS_U64(&cpu_probe) + bpf_core_field_offset(struct bpf_array, pptrs)))) {
    error = -2;
    return 0;
  }
  w_base = base;
  bpf_loop(cpu_count, cpu_step, 0, 0);
  if (error == 0) {
    w_ops = (__u64)BPF_CORE_READ(net, ns.ops);
    w_start = w_node = (__u64)net + bpf_core_field_offset(struct net, list);
    w_round = 0;
    bpf_rcu_read_lock();
    bpf_loop(MAX_NETS, net_step, 0, 0);
    bpf_rcu_read_unlock();
    nets_truncated = !w_round;
  }
  bpf_loop(cpu_count, clear_cpu, 0, 0);
  w_base = w_node = w_start = w_ops = 0;
  w_mib[0] = w_mib[1] = w_mib[2] = w_mib[3] = 0;
  w_link = 0;
  return 0;
}
