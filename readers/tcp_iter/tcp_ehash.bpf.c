// SPDX-License-Identifier: GPL-2.0
/* Counts the TCP sockets other than listeners of the caller's network namespace by
 * walking the kernel's TCP established hash (ehash) directly: the same figures as
 * tcp_count.bpf.c, at about a third of the cost, because iter/tcp pays per socket for
 * batching, a reference and the socket lock, and this walk pays one read.
 *
 * A BPF_PROG_TYPE_SYSCALL program, run by user space through BPF_PROG_TEST_RUN in its
 * own thread, so bpf_get_current_task_btf()->nsproxy->net_ns is the namespace to count.
 * It reads the hash the way the kernel's lockless lookup (__inet_lookup_established)
 * does: under RCU, following each bucket's hlist_nulls chain, taking no reference. The
 * sockets are SLAB_TYPESAFE_BY_RCU: one may be freed and reused, and so moved to another
 * chain, while it is followed; a chain that does not end in its own bucket's nulls marker
 * is walked again (its partial counts dropped), and after MAX_RESTARTS counted in
 * `unstable_buckets`. A bucket longer than MAX_CHAIN sockets is `long_chains`. User
 * space treats either as an incomplete walk and asks iter/tcp instead for that run.
 *
 * Every socket field is read by a direct load through bpf_rdonly_cast (an untrusted BTF
 * pointer: the JIT makes the load read 0 instead of faulting), with offsets relocated by
 * CO-RE. Like the netlink dump, the walk is not a snapshot: sockets that come and go
 * while it runs may be counted or not.
 *
 * Counted as inet_diag reports them: time-wait sockets by tw_substate, request sockets
 * (TCP_NEW_SYN_RECV) as syn_recv with queues 0, full sockets with receive queue
 * max(rcv_nxt - copied_seq, 0) and send queue write_seq - snd_una. Listeners live in
 * the listening hash, not here; only-bound sockets in neither. */
// clang-format off
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "readers/tcp_iter/tcp_count_layout.h"
// clang-format on

char LICENSE[] SEC("license") = "GPL";

#define NETSTAT_AF_INET6 10
#define STATES NETSTAT_TCP_STATES
#define CHUNK 256    /* bucket heads read at once */
#define MAX_CHAIN 64 /* sockets followed in one bucket */
#define MAX_RESTARTS 4

extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
extern void* bpf_rdonly_cast(const void* obj__ign, __u32 btf_id) __ksym;

/* Input, set by user space: one run walks at most slice_chunks chunks of CHUNK buckets
 * from chunk slice_start (the results are zeroed when slice_start is 0) and sets `done`
 * after the last chunk, so that no single run keeps the CPU for a whole large hash. */
__u32 slice_start, slice_chunks;
/* Input: port (host order) -> slot, as in tcp_count.bpf.c; 0: not tracked. */
__u16 local_slot[65536];
__u16 remote_slot[65536];

/* Output. */
struct netstat_tcp_totals totals;
__u64 port_counts[NETSTAT_TCP_MAX_SLOTS][STATES];
struct netstat_tcp_port_rtt port_rtt[NETSTAT_TCP_MAX_SLOTS];
__u32 done;
__u64 buckets;          /* ehash_mask + 1 */
__u64 restarts;         /* bucket walks restarted */
__u64 unstable_buckets; /* given up after MAX_RESTARTS */
__u64 long_chains;      /* buckets of more than MAX_CHAIN sockets */
__s64 error;            /* nonzero: the namespace's hash could not be found */

/* The walk's state and scratch hold kernel addresses, so they are static variables of a
 * section of their own: libbpf neither maps it into the process nor puts it in the
 * skeleton, user space freezes it after load (BPF_MAP_FREEZE: only the program writes
 * it), and each run clears the addresses before it returns. A reader of the exporter's
 * memory, or a writer of it, gets no hold on the kernel through them. */
#define WALK_STATE SEC(".data.walk")

/* Heads of one chunk of buckets. Twice CHUNK: the verifier bounds the read size below
 * by a mask, not by CHUNK. */
static __u64 heads[2 * CHUNK] WALK_STATE;
static __u64 w_net WALK_STATE;   /* struct net* of the caller */
static __u64 w_ehash WALK_STATE; /* struct inet_ehash_bucket* */
static __u32 w_nbuckets WALK_STATE;
static __u32 w_base WALK_STATE; /* first bucket of the current chunk */
static __u32 w_first_chunk WALK_STATE;
/* A chain link passes through here to become a plain number (a pointer-typed load is a
 * pointer to the verifier, and the nulls test needs its bit 0). Storing a kernel pointer
 * in a global is allowed to programs loaded with CAP_PERFMON, which loading needs. */
static volatile __u64 w_link WALK_STATE;

/* The sockets of the bucket being walked, committed to the results only when the chain
 * ended in the bucket's own nulls marker. */
struct entry {
  __u32 index;         /* family * STATES + state */
  __u16 local, remote; /* slots */
  __u32 rq, sq;
  __u32 rtt_us; /* established: srtt_us >> 3; else 0 */
};
static struct entry entries[MAX_CHAIN] WALK_STATE;

struct chain {
  __u64 node;
  struct net* net;
  __u32 slot;
  __u32 n;  /* entries filled */
  __u32 ok; /* the chain ended in this bucket's nulls marker */
  __u32 length;
};

/* One socket of a chain per bpf_loop step (nested bounded loops in one function are
 * more than the verifier explores). 1 ends the chain. */
static int chain_step(__u32 i, struct chain* c) {
  const __u32 node_off = bpf_core_field_offset(struct sock_common, skc_nulls_node);
  struct sock_common* skc;
  __u64 sk, node = c->node, next;
  __u32 state, family, n;

  if (node & 1) {
    c->ok = (node >> 1) == c->slot;
    return 1;
  }
  sk = node - node_off;
  skc = bpf_rdonly_cast((void*)sk, bpf_core_type_id_kernel(struct sock_common));
  w_link = (__u64)skc->skc_nulls_node.next;
  next = w_link;
  if (next == 0) return 1; /* a failed load reads 0: not ok, so the bucket is walked again */
  c->length++;
  c->node = next;
  if (skc->skc_net.net != c->net) return 0;
  state = skc->skc_state;
  if (state == TCP_LISTEN) return 0;
  n = c->n;
  if (n >= MAX_CHAIN) return 1;
  asm volatile("%[n] &= 63" : [n] "+r"(n)); /* MAX_CHAIN - 1, for the verifier */
  entries[n].rq = 0;
  entries[n].sq = 0;
  entries[n].rtt_us = 0;
  if (state == TCP_TIME_WAIT) {
    struct inet_timewait_sock* tw =
        bpf_rdonly_cast((void*)sk, bpf_core_type_id_kernel(struct inet_timewait_sock));
    state = tw->tw_substate;
  } else if (state == TCP_NEW_SYN_RECV) {
    state = TCP_SYN_RECV;
  } else {
    struct tcp_sock* tp = bpf_rdonly_cast((void*)sk, bpf_core_type_id_kernel(struct tcp_sock));
    __s32 unread = (__s32)(tp->rcv_nxt - tp->copied_seq);
    entries[n].rq = unread > 0 ? (__u32)unread : 0;
    entries[n].sq = tp->write_seq - tp->snd_una;
    if (state == TCP_ESTABLISHED) entries[n].rtt_us = tp->srtt_us >> 3;
  }
  family = skc->skc_family == NETSTAT_AF_INET6 ? 1 : 0;
  entries[n].index = (family * STATES + (state & (STATES - 1))) & (2 * STATES - 1);
  entries[n].local = local_slot[skc->skc_num];
  entries[n].remote = remote_slot[bpf_ntohs(skc->skc_dport)];
  c->n = n + 1;
  return 0;
}

static __always_inline void count_port(__u32 slot, __u32 state) {
  if (slot == 0 || slot >= NETSTAT_TCP_MAX_SLOTS) return;
  port_counts[slot][state] += 1;
}

static __always_inline void add_rtt(__u32 slot, __u32 rtt_us) {
  if (slot == 0 || slot >= NETSTAT_TCP_MAX_SLOTS) return;
  port_rtt[slot].sum_us += rtt_us;
  if (rtt_us > port_rtt[slot].max_us) port_rtt[slot].max_us = rtt_us;
  port_rtt[slot].sockets += 1;
}

static int commit_step(__u32 i, struct chain* c) {
  __u32 idx;
  if (i >= c->n || i >= MAX_CHAIN) return 1;
  asm volatile("%[i] &= 63" : [i] "+r"(i)); /* MAX_CHAIN - 1, for the verifier */
  idx = entries[i].index & (2 * STATES - 1);
  totals.sockets[idx / STATES][idx % STATES] += 1;
  totals.receive_queue[idx / STATES][idx % STATES] += entries[i].rq;
  totals.send_queue[idx / STATES][idx % STATES] += entries[i].sq;
  count_port(entries[i].local, idx % STATES);
  count_port(entries[i].remote, idx % STATES);
  if (entries[i].rtt_us != 0) {
    add_rtt(entries[i].local, entries[i].rtt_us);
    add_rtt(entries[i].remote, entries[i].rtt_us);
  }
  return 0;
}

/* Global (not static): the verifier checks it once rather than at each call site, so the
 * heads of a chunk are scanned in a plain loop and only non-empty buckets cost a call. */
__noinline int walk_bucket(__u32 bucket) {
  struct chain c = {};
  int attempt;

  if (bucket >= CHUNK) return 0;
  c.node = heads[bucket & (CHUNK - 1)];
  if (c.node & 1) return 0; /* empty: the head is the nulls marker */
  c.net = (struct net*)w_net;
  c.slot = w_base + bucket;
  for (attempt = 0; attempt < MAX_RESTARTS; ++attempt) {
    if (attempt > 0) {
      restarts++;
      if (bpf_probe_read_kernel(&c.node, sizeof c.node,
                                &((struct inet_ehash_bucket*)w_ehash)[c.slot].chain.first))
        continue;
    }
    c.n = 0;
    c.ok = 0;
    c.length = 0;
    bpf_loop(MAX_CHAIN + 1, chain_step, &c, 0);
    if (!c.ok && c.length >= MAX_CHAIN) {
      long_chains++;
      return 0;
    }
    if (!c.ok) continue;
    bpf_loop(MAX_CHAIN, commit_step, &c, 0);
    return 0;
  }
  unstable_buckets++;
  return 0;
}

static int walk_chunk(__u32 i, void* unused) {
  __u32 chunk = w_first_chunk + i;
  __u64 base = (__u64)chunk * CHUNK, size;
  __u32 count, j;

  if (base >= w_nbuckets) return 1;
  count = w_nbuckets - base;
  if (count > CHUNK) count = CHUNK;
  w_base = base;
  bpf_rcu_read_lock();
  size = count * sizeof(__u64);
  /* clang knows size <= CHUNK * 8 and drops a C mask; the verifier does not know it */
  asm volatile("%[s] &= 4095" : [s] "+r"(size));
  if (bpf_probe_read_kernel(heads, size, &((struct inet_ehash_bucket*)w_ehash)[base]) == 0) {
    for (j = 0; j < CHUNK; ++j) {
      if (j >= count) break;
      if (!(heads[j] & 1)) walk_bucket(j);
    }
  } else {
    error = -2;
  }
  bpf_rcu_read_unlock();
  return error != 0;
}

static int clear_head(__u32 i, void* unused) {
  heads[i & (2 * CHUNK - 1)] = 0;
  return 0;
}

static __always_inline void clear_addresses(void) {
  w_net = 0;
  w_ehash = 0;
  w_link = 0;
  bpf_loop(CHUNK, clear_head, 0, 0);
}

SEC("syscall")
int count_ehash(void* ctx) {
  struct task_struct* task = bpf_get_current_task_btf();
  struct inet_hashinfo* hashinfo;
  struct net* net;
  __u32 chunks, first = slice_start;

  if (first == 0) {
    buckets = restarts = unstable_buckets = long_chains = 0;
    error = 0;
  }
  done = 0;
  net = BPF_CORE_READ(task, nsproxy, net_ns);
  hashinfo = BPF_CORE_READ(net, ipv4.tcp_death_row.hashinfo);
  w_net = (__u64)net;
  w_ehash = (__u64)BPF_CORE_READ(hashinfo, ehash);
  w_nbuckets = BPF_CORE_READ(hashinfo, ehash_mask) + 1;
  buckets = w_nbuckets;
  if (!w_net || !w_ehash || w_nbuckets <= 1) {
    error = -1;
    done = 1;
    clear_addresses();
    return 0;
  }
  chunks = (w_nbuckets + CHUNK - 1) / CHUNK;
  if (first >= chunks) {
    done = 1;
    return 0;
  }
  w_first_chunk = first;
  if (slice_chunks && chunks - first > slice_chunks) {
    chunks = slice_chunks;
  } else {
    chunks -= first;
    done = 1;
  }
  bpf_loop(chunks, walk_chunk, 0, 0);
  if (error) done = 1;
  clear_addresses();
  return 0;
}
