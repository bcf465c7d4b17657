// SPDX-License-Identifier: GPL-2.0
/* Reads the TCP sockets of many network namespaces in one walk of the kernel's hashes,
 * instead of one netlink dump per namespace (each of which walks the whole shared hash
 * to find its few sockets). Run from the host's namespace by user space (host_walk.cc)
 * through BPF_PROG_TEST_RUN, in phases (input `phase`, host_walk_layout.h):
 *   NETS    the kernel's list of namespaces (net->list, under RCU), from the caller's
 *           one round the circle: which wanted namespaces exist, and which have an
 *           established hash of their own (net.ipv4.tcp_child_ehash_entries when they
 *           were made: hashinfo->pernet), whose sockets are not in the host's hash;
 *   LISTEN  the listening hash (lhash2, shared by every hashinfo: a per-namespace one is
 *           a copy of the host's with its own ehash only), sliced: one record per
 *           listener of a wanted namespace;
 *   EHASH   the host's established hash, sliced as in tcp_ehash.bpf.c: every socket
 *           other than a listener counted into its namespace's totals and port rows;
 *   OWN     the established hash of wanted namespace `target`, found again in the list
 *           and walked whole inside one RCU read section (its hash is freed with it);
 *   UDP     a UDP or UDP-Lite table, sliced: a record per socket (udp_host.bpf.h);
 *   UDP_OWN the UDP table of wanted namespace `target` (udp_child_hash_entries), found
 *           again in the list and walked whole as OWN is.
 *
 * The chain rules are tcp_ehash.bpf.c's (read it first): lockless, under RCU, reads by
 * bpf_rdonly_cast; a chain that does not end in its bucket's own nulls marker is walked
 * again, its partial results dropped; MAX_RESTARTS failures count `unstable`, a chain
 * longer than MAX_CHAIN `long_chains`. Those are counted per hash: the host's (all the
 * namespaces in it are then incomplete), the listening one, or a namespace's own.
 *
 * A socket's namespace: its struct net* is looked up in a small open-addressing cache
 * (.data.walk: kernel addresses never in user-visible memory, cleared by every run),
 * filled on first sight from net->ns.inum and a binary search of the wanted inodes.
 * That lookup and the chain steps are in tcp_host_chain.bpf.h, included below. */
// clang-format off
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "readers/tcp_iter/host_walk_layout.h"
#include "readers/tcp_iter/tcp_count_layout.h"
// clang-format on

char LICENSE[] SEC("license") = "GPL";

#define NETSTAT_AF_INET6 10
#define STATES NETSTAT_TCP_STATES
#define MAX_NS NETSTAT_HOST_MAX_NS
#define CHUNK 256    /* established-hash bucket heads read at once */
#define LCHUNK 128   /* listening-hash buckets read at once */
#define MAX_CHAIN 64 /* sockets followed in one bucket */
#define MAX_RESTARTS 4
#define MAX_NETS 16384                  /* namespaces followed in the list */
#define NET_CACHE 8192                  /* struct net* -> index cache */
#define LISTENING_NULLS_BASE (1U << 29) /* include/net/inet_hashtables.h */
#define UNIX_BUCKETS 512                /* UNIX_HASH_SIZE, net/unix/af_unix.c */

extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
extern void* bpf_rdonly_cast(const void* obj__ign, __u32 btf_id) __ksym;

/* Input. */
__u32 phase, target;             /* target: PHASE_OWN's namespace index */
__u32 slice_start, slice_chunks; /* as in tcp_ehash.bpf.c, for LISTEN and EHASH */
__u32 ns_count;                  /* wanted namespaces: their inodes, ascending */
__u32 ns_inodes[MAX_NS];
__u32 lport_key[NETSTAT_HOST_LPORT_TABLE]; /* (index + 1) << 16 | local port; 0 empty */
__u32 lport_row[NETSTAT_HOST_LPORT_TABLE];
__u16 remote_slot[65536]; /* remote port -> 1 + its position; 0: not tracked */
__u32 remote_count;       /* tracked remote ports */
__u32 remote_base;        /* row of (namespace i, remote j): base + i * count + j */

/* Output. All of it in .bss (zero, SHT_NOBITS): a .data.* section would carry its
 * zeros into the object and so into the exporter's binary (3 MB of it), read at load. */
__u32 done;
__s64 error;
__u64 ehash_buckets, lhash_buckets, nets_seen;
__u32 nets_truncated;                        /* the list was longer than MAX_NETS */
__u64 restarts, unstable, long_chains;       /* the host's hash */
__u64 l_restarts, l_unstable, l_long_chains; /* the listening hash */
__u32 listener_count, listener_overflow;
struct netstat_host_ns ns_state[MAX_NS];
struct netstat_tcp_totals ns_totals[MAX_NS];
__u32 port_counts[NETSTAT_HOST_MAX_ROWS][STATES]; /* sockets: a 32-bit count is ample */
struct netstat_tcp_port_rtt port_rtt[NETSTAT_HOST_MAX_ROWS];
struct netstat_host_listener listeners[NETSTAT_HOST_MAX_LISTENERS];

#define WALK_STATE SEC(".data.walk")
static __u64 heads[2 * CHUNK] WALK_STATE;
static __u64 w_net WALK_STATE;  /* the caller's struct net* */
static __u64 w_ops WALK_STATE;  /* its ns.ops: every struct net has the same */
static __u64 w_hash WALK_STATE; /* the hash being walked: bucket array */
static __u32 w_nbuckets WALK_STATE;
static __u32 w_base WALK_STATE;
static __u32 w_first_chunk WALK_STATE;
static __u32 w_stride WALK_STATE, w_head_off WALK_STATE; /* listening bucket layout */
static volatile __u64 w_link WALK_STATE;
static __u64 net_keys[NET_CACHE] WALK_STATE;
static __s32 net_vals[NET_CACHE] WALK_STATE;
static __u16 net_used[NET_CACHE] WALK_STATE;
static __u32 net_used_n WALK_STATE;
static __u64 w_node WALK_STATE, w_start WALK_STATE; /* the list walk */
static __u64 w_lhash WALK_STATE;                    /* the host's listening hash */
static __u64 w_hashinfo WALK_STATE; /* PHASE_OWN: the target's hashinfo, once found */
static __u32 w_round WALK_STATE;    /* the list walk came round to its start */
static __u64 w_udp WALK_STATE;      /* PHASE_NETS: the caller's UDP table */

#define AS_U64(expr) (w_link = (__u64)(expr), w_link)

/* The chain steps and the namespace lookup. */
#include "readers/tcp_iter/tcp_host_chain.bpf.h"

/* Walks bucket `bucket` of the current chunk, whose head is `head`. kind as above. */
__noinline int walk_bucket(__u32 bucket, __u64 head, __u32 kind) {
  struct chain c = {};
  int attempt;
  __u32 count0 = listener_count;

  c.node = head;
  if (c.node & 1) return 0;
  c.slot = w_base + bucket;
  if (kind == 1) c.slot += LISTENING_NULLS_BASE;
  for (attempt = 0; attempt < MAX_RESTARTS; ++attempt) {
    if (attempt > 0) {
      if (kind == 1) {
        l_restarts++;
        if (bpf_probe_read_kernel(
                &c.node, sizeof c.node,
                (void*)(w_hash + (__u64)(w_base + bucket) * w_stride + w_head_off)))
          continue;
      } else {
        restarts++;
        if (bpf_probe_read_kernel(
                &c.node, sizeof c.node,
                &((struct inet_ehash_bucket*)w_hash)[w_base + bucket].chain.first))
          continue;
      }
    }
    c.n = 0;
    c.ok = 0;
    c.length = 0;
    if (kind == 1)
      bpf_loop(MAX_CHAIN + 1, listen_step, &c, 0);
    else
      bpf_loop(MAX_CHAIN + 1, chain_step, &c, 0);
    if (!c.ok && c.length >= MAX_CHAIN) {
      note_incomplete(kind, 1);
      return 0;
    }
    if (!c.ok) continue;
    if (kind == 1)
      listener_count = count0 + c.n;
    else
      bpf_loop(MAX_CHAIN, commit_step, &c, 0);
    return 0;
  }
  note_incomplete(kind, 0);
  return 0;
}

/* One chunk of the established hash in w_hash. */
static __always_inline int ehash_chunk(__u32 i, __u32 kind) {
  __u32 chunk = w_first_chunk + i, count, j;
  __u64 base = (__u64)chunk * CHUNK, size;

  if (base >= w_nbuckets) return 1;
  count = w_nbuckets - base;
  if (count > CHUNK) count = CHUNK;
  w_base = base;
  size = count * sizeof(__u64);
  asm volatile("%[s] &= 4095" : [s] "+r"(size));
  if (bpf_probe_read_kernel(heads, size, &((struct inet_ehash_bucket*)w_hash)[base]) != 0) {
    if (kind == 2)
      ns_state[target & (MAX_NS - 1)].incomplete++; /* that namespace only */
    else
      error = -2;
    return 1;
  }
  /* Eight heads at a time: on a host whose hash is mostly empty, one test skips eight
   * nulls markers (odd values, so their AND is odd). Heads past `count` are left over
   * from an earlier chunk: they may only send a group to the per-bucket test. */
  for (j = 0; j < CHUNK; j += 8) {
    __u32 k;
    if (j >= count) break;
    if (heads[j] & heads[j + 1] & heads[j + 2] & heads[j + 3] & heads[j + 4] & heads[j + 5] &
        heads[j + 6] & heads[j + 7] & 1)
      continue;
    for (k = j; k < j + 8; ++k) {
      if (k >= count) break;
      if (!(heads[k & (2 * CHUNK - 1)] & 1)) walk_bucket(k, heads[k & (2 * CHUNK - 1)], kind);
    }
  }
  return 0;
}

static int ehash_chunk_locking(__u32 i, void* unused) {
  int r;
  bpf_rcu_read_lock();
  r = ehash_chunk(i, 0);
  bpf_rcu_read_unlock();
  return r;
}

static int ehash_chunk_locked(__u32 i, void* unused) { return ehash_chunk(i, 2); }

/* One chunk of the listening hash: LCHUNK buckets of w_stride bytes read at once. */
static int lhash_chunk(__u32 i, void* unused) {
  __u32 chunk = w_first_chunk + i, count, j, off;
  __u64 base = (__u64)chunk * LCHUNK, size;
  int r = 0;

  if (base >= w_nbuckets) return 1;
  count = w_nbuckets - base;
  if (count > LCHUNK) count = LCHUNK;
  w_base = base;
  size = count * w_stride;
  asm volatile("%[s] &= 4095" : [s] "+r"(size));
  bpf_rcu_read_lock();
  if (bpf_probe_read_kernel(heads, size, (void*)(w_hash + base * w_stride)) != 0) {
    error = -3;
    r = 1;
  } else {
    for (j = 0; j < LCHUNK; ++j) {
      __u64 head;
      if (j >= count) break;
      off = (j * w_stride + w_head_off) / 8;
      head = heads[off & (2 * CHUNK - 1)];
      if (!(head & 1)) walk_bucket(j, head, 1);
    }
  }
  bpf_rcu_read_unlock();
  return r;
}

/* Whether namespace `n`'s unix socket table holds a socket: the heads of its
 * UNIX_BUCKETS buckets (a per-namespace table since Linux 6.0), read at once. Only the heads, never
 * a chain: what they say is what unix_diag would find at this instant, and a namespace without a
 * unix socket needs no dump. 0 none, 1 some, -1 not read (no per-namespace table, or the read
 * failed). */
static __always_inline int unix_used(struct net* n) {
  __u64 buckets, any = 0;
  __u32 j;

  if (!bpf_core_field_exists(n->unx.table)) return -1;
  buckets = AS_U64(n->unx.table.buckets);
  _Static_assert(UNIX_BUCKETS <= 2 * CHUNK, "the heads buffer holds a unix table's heads");
  if (!buckets || bpf_probe_read_kernel(heads, UNIX_BUCKETS * sizeof(__u64), (void*)buckets))
    return -1;
  for (j = 0; j < UNIX_BUCKETS; ++j) any |= heads[j];
  return any != 0;
}

/* PHASE_NETS: one namespace of the list per step, from the caller's round to it. */
static int net_step(__u32 i, void* unused) {
  const __u32 list_off = bpf_core_field_offset(struct net, list);
  struct net* n;
  struct inet_hashinfo* h;
  __u64 node = w_node, next;
  int idx, used;

  if (node == 0) return 1;
  n = bpf_rdonly_cast((void*)(node - list_off), bpf_core_type_id_kernel(struct net));
  if (node == w_start && i > 0) {
    w_round = 1;
    return 1;
  }
  next = AS_U64(n->list.next);
  w_node = next;
  if (AS_U64(n->ns.ops) != w_ops) return 0; /* the list head, in no struct net */
  nets_seen++;
  idx = find_inode(n->ns.inum);
  if (phase != NETSTAT_HOST_PHASE_NETS) { /* OWN or UDP_OWN */
    if (idx == (int)target) {
      if (phase == NETSTAT_HOST_PHASE_OWN)
        w_hashinfo = AS_U64(n->ipv4.tcp_death_row.hashinfo);
      else
        w_hashinfo = AS_U64(n->ipv4.udp_table);
      return 1;
    }
    return 0;
  }
  if (idx < 0) return 0;
  h = bpf_rdonly_cast((void*)AS_U64(n->ipv4.tcp_death_row.hashinfo),
                      bpf_core_type_id_kernel(struct inet_hashinfo));
  ns_state[idx & (MAX_NS - 1)].found = 1;
  if (AS_U64(h->ehash) != w_hash) {
    ns_state[idx & (MAX_NS - 1)].own_hash = 1;
    ns_state[idx & (MAX_NS - 1)].own_buckets = h->ehash_mask + 1;
  }
  if (AS_U64(h->lhash2) != w_lhash) ns_state[idx & (MAX_NS - 1)].own_lhash = 1;
  if (AS_U64(n->ipv4.udp_table) != w_udp) ns_state[idx & (MAX_NS - 1)].own_udp = 1;
  used = unix_used(n);
  ns_state[idx & (MAX_NS - 1)].unix_read = used >= 0;
  ns_state[idx & (MAX_NS - 1)].unix_used = used != 0;
  return 0;
}

static int clear_cache(__u32 i, void* unused) {
  __u32 s;
  if (i >= net_used_n) return 1;
  s = net_used[i & (NET_CACHE - 1)] & (NET_CACHE - 1);
  net_keys[s] = 0;
  return 0;
}

static int clear_head(__u32 i, void* unused) {
  heads[i & (2 * CHUNK - 1)] = 0;
  return 0;
}

static __always_inline void clear_addresses(void) {
  bpf_loop(NET_CACHE, clear_cache, 0, 0);
  net_used_n = 0;
  w_net = w_ops = w_hash = w_node = w_start = w_hashinfo = w_lhash = w_udp = 0;
  w_link = 0;
  bpf_loop(2 * CHUNK, clear_head, 0, 0);
}

/* The number of chunks this run walks from slice_start, or 0 (done) past the end. */
static __always_inline __u32 slice(__u32 per_chunk) {
  __u32 chunks = (w_nbuckets + per_chunk - 1) / per_chunk, first = slice_start;
  if (first >= chunks) {
    done = 1;
    return 0;
  }
  w_first_chunk = first;
  if (slice_chunks && chunks - first > slice_chunks) return slice_chunks;
  done = 1;
  return chunks - first;
}

/* PHASE_UDP. */
#include "readers/tcp_iter/udp_host.bpf.h"

SEC("syscall")
int walk_host(void* ctx) {
  struct task_struct* task = bpf_get_current_task_btf();
  struct inet_hashinfo* hashinfo;
  struct net* net;
  __u32 chunks;

  done = 0;
  net = BPF_CORE_READ(task, nsproxy, net_ns);
  hashinfo = BPF_CORE_READ(net, ipv4.tcp_death_row.hashinfo);
  if (!net || !hashinfo || BPF_CORE_READ(hashinfo, pernet)) {
    error = -1; /* not run from a namespace that uses the host's hash */
    done = 1;
    return 0;
  }
  w_net = (__u64)net;
  if (phase == NETSTAT_HOST_PHASE_UDP) {
    walk_udp(net);
    clear_addresses();
    return 0;
  }
  if (phase == NETSTAT_HOST_PHASE_NETS || phase == NETSTAT_HOST_PHASE_OWN ||
      phase == NETSTAT_HOST_PHASE_UDP_OWN) {
    w_ops = (__u64)BPF_CORE_READ(net, ns.ops);
    w_hash = (__u64)BPF_CORE_READ(hashinfo, ehash);
    w_lhash = (__u64)BPF_CORE_READ(hashinfo, lhash2);
    w_udp = (__u64)BPF_CORE_READ(net, ipv4.udp_table);
    w_hashinfo = 0;
    w_round = 0;
    w_start = w_node = w_net + bpf_core_field_offset(struct net, list);
    if (phase == NETSTAT_HOST_PHASE_NETS) {
      error = 0;
      nets_seen = 0;
      ehash_buckets = BPF_CORE_READ(hashinfo, ehash_mask) + 1;
      lhash_buckets = BPF_CORE_READ(hashinfo, lhash2_mask) + 1;
    }
    bpf_rcu_read_lock();
    bpf_loop(MAX_NETS, net_step, 0, 0);
    if (phase == NETSTAT_HOST_PHASE_NETS) {
      nets_truncated = !w_round;
    } else if (w_hashinfo && phase == NETSTAT_HOST_PHASE_UDP_OWN) {
      walk_udp_own_locked();
    } else if (w_hashinfo) {
      struct inet_hashinfo* own =
          bpf_rdonly_cast((void*)w_hashinfo, bpf_core_type_id_kernel(struct inet_hashinfo));
      w_hash = AS_U64(own->ehash);
      w_nbuckets = own->ehash_mask + 1;
      w_first_chunk = 0;
      if (w_hash && w_nbuckets > 1 && w_nbuckets <= 65536) {
        bpf_loop((w_nbuckets + CHUNK - 1) / CHUNK, ehash_chunk_locked, 0, 0);
        ns_state[target & (MAX_NS - 1)].own_walked = 1;
      }
    }
    bpf_rcu_read_unlock();
    done = 1;
    clear_addresses();
    return 0;
  }
  if (slice_start == 0) {
    if (phase == NETSTAT_HOST_PHASE_LISTEN) {
      l_restarts = l_unstable = l_long_chains = 0;
      listener_count = listener_overflow = 0;
    } else {
      restarts = unstable = long_chains = 0;
    }
  }
  if (phase == NETSTAT_HOST_PHASE_LISTEN) {
    w_hash = (__u64)BPF_CORE_READ(hashinfo, lhash2);
    w_nbuckets = BPF_CORE_READ(hashinfo, lhash2_mask) + 1;
    w_stride = bpf_core_type_size(struct inet_listen_hashbucket);
    w_head_off = bpf_core_field_offset(struct inet_listen_hashbucket, nulls_head);
    if (!w_hash || w_stride == 0 || w_stride > 32 || (w_stride % 8) || (w_head_off % 8)) {
      error = -4;
      done = 1;
      clear_addresses();
      return 0;
    }
    chunks = slice(LCHUNK);
    if (chunks) bpf_loop(chunks, lhash_chunk, 0, 0);
  } else {
    w_hash = (__u64)BPF_CORE_READ(hashinfo, ehash);
    w_nbuckets = BPF_CORE_READ(hashinfo, ehash_mask) + 1;
    chunks = slice(CHUNK);
    if (chunks) bpf_loop(chunks, ehash_chunk_locking, 0, 0);
  }
  if (error) done = 1;
  clear_addresses();
  return 0;
}
