/* Part of tcp_host.bpf.c, included once by it after its global variables, which this
 * uses: a socket's namespace (the struct net* cache and the search of the wanted inodes),
 * and the bpf_loop steps that follow one chain of the established hash (chain_step, then
 * commit_step) or of the listening hash (listen_step). Not a header of its own: BPF
 * programs are one translation unit. */
#ifndef NETSTAT_READERS_TCP_ITER_TCP_HOST_CHAIN_BPF_H_
#define NETSTAT_READERS_TCP_ITER_TCP_HOST_CHAIN_BPF_H_

struct entry {
  __u16 ns;
  __u16 index;         /* family * STATES + state */
  __u32 local, remote; /* rows; 0 none */
  __u32 rq, sq;
  __u32 rtt_us; /* established: srtt_us >> 3; else 0 */
};
static struct entry entries[MAX_CHAIN] WALK_STATE;

struct chain {
  __u64 node;
  __u32 slot; /* nulls value that ends this bucket's chain */
  __u32 n, ok, length;
};

#include "readers/bpf_support/inode_search.bpf.h"

/* Wanted index of the namespace with this inode, or -1. */
__noinline int find_inode(__u32 inum) { return inode_index(inum); }

/* Wanted index of the namespace at `net`, or -1; cached for the rest of the run. */
__noinline int net_index(__u64 net) {
  struct net* n;
  __u32 h, p, s;
  int v;
  if (net == 0) return -1;
  h = (__u32)(((net >> 6) * 0x9E3779B97F4A7C15ull) >> 51) & (NET_CACHE - 1);
  for (p = 0; p < 8; ++p) {
    s = (h + p) & (NET_CACHE - 1);
    if (net_keys[s] == net) return net_vals[s];
    if (net_keys[s] == 0) break;
  }
  n = bpf_rdonly_cast((void*)net, bpf_core_type_id_kernel(struct net));
  v = find_inode(n->ns.inum);
  if (p < 8 && net_used_n < NET_CACHE) {
    net_keys[s] = net;
    net_vals[s] = v;
    net_used[net_used_n & (NET_CACHE - 1)] = s;
    net_used_n++;
  }
  return v;
}

static __always_inline __u32 local_row(__u32 ns, __u32 port) {
  __u32 key = ((ns + 1) << 16) | port, h, p;
  h = (key * 2654435761u) >> (32 - NETSTAT_HOST_LPORT_BITS);
  for (p = 0; p < NETSTAT_HOST_LPORT_PROBES; ++p) {
    __u32 s = (h + p) & (NETSTAT_HOST_LPORT_TABLE - 1);
    if (lport_key[s] == key) return lport_row[s];
    if (lport_key[s] == 0) return 0;
  }
  return 0;
}

/* One socket of an established-hash chain per bpf_loop step. 1 ends the chain. */
static int chain_step(__u32 i, struct chain* c) {
  const __u32 node_off = bpf_core_field_offset(struct sock_common, skc_nulls_node);
  struct sock_common* skc;
  __u64 sk, node = c->node, next;
  __u32 state, family, n, rs;
  int ns;

  if (node & 1) {
    c->ok = (node >> 1) == c->slot;
    return 1;
  }
  sk = node - node_off;
  skc = bpf_rdonly_cast((void*)sk, bpf_core_type_id_kernel(struct sock_common));
  next = AS_U64(skc->skc_nulls_node.next);
  if (next == 0) return 1;
  c->length++;
  c->node = next;
  state = skc->skc_state;
  if (state == TCP_LISTEN) return 0;
  ns = net_index(AS_U64(skc->skc_net.net));
  if (ns < 0) return 0;
  n = c->n;
  if (n >= MAX_CHAIN) return 1;
  asm volatile("%[n] &= 63" : [n] "+r"(n));
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
  entries[n].ns = ns & (MAX_NS - 1);
  entries[n].index = (family * STATES + (state & (STATES - 1))) & (2 * STATES - 1);
  entries[n].local = local_row(ns & (MAX_NS - 1), skc->skc_num);
  rs = remote_slot[bpf_ntohs(skc->skc_dport)];
  entries[n].remote = rs ? remote_base + (__u32)(ns & (MAX_NS - 1)) * remote_count + rs - 1 : 0;
  c->n = n + 1;
  return 0;
}

static __always_inline void count_row(__u32 row, __u32 state) {
  if (row == 0 || row >= NETSTAT_HOST_MAX_ROWS) return;
  port_counts[row][state & (STATES - 1)] += 1;
}

static __always_inline void add_rtt(__u32 row, __u32 rtt_us) {
  if (row == 0 || row >= NETSTAT_HOST_MAX_ROWS) return;
  port_rtt[row].sum_us += rtt_us;
  if (rtt_us > port_rtt[row].max_us) port_rtt[row].max_us = rtt_us;
  port_rtt[row].sockets += 1;
}

static int commit_step(__u32 i, struct chain* c) {
  __u32 idx, ns, f, s;
  if (i >= c->n || i >= MAX_CHAIN) return 1;
  asm volatile("%[i] &= 63" : [i] "+r"(i));
  idx = entries[i].index & (2 * STATES - 1);
  ns = entries[i].ns & (MAX_NS - 1);
  f = idx / STATES;
  s = idx % STATES;
  ns_totals[ns].sockets[f][s] += 1;
  ns_totals[ns].receive_queue[f][s] += entries[i].rq;
  ns_totals[ns].send_queue[f][s] += entries[i].sq;
  count_row(entries[i].local, s);
  count_row(entries[i].remote, s);
  if (entries[i].rtt_us != 0) {
    add_rtt(entries[i].local, entries[i].rtt_us);
    add_rtt(entries[i].remote, entries[i].rtt_us);
  }
  return 0;
}

/* One listener of a listening-hash chain per step; staged straight into `listeners`
 * after the committed ones, and committed by advancing listener_count. */
static int listen_step(__u32 i, struct chain* c) {
  const __u32 node_off = bpf_core_field_offset(struct sock_common, skc_nulls_node);
  struct sock_common* skc;
  struct sock* s;
  struct netstat_host_listener* l;
  __u64 sk, node = c->node, next, sock;
  __u32 at;
  int ns;

  if (node & 1) {
    c->ok = (node >> 1) == c->slot;
    return 1;
  }
  sk = node - node_off;
  skc = bpf_rdonly_cast((void*)sk, bpf_core_type_id_kernel(struct sock_common));
  next = AS_U64(skc->skc_nulls_node.next);
  if (next == 0) return 1;
  c->length++;
  c->node = next;
  if (skc->skc_state != TCP_LISTEN) return 0;
  ns = net_index(AS_U64(skc->skc_net.net));
  if (ns < 0) return 0;
  at = listener_count + c->n;
  if (at >= NETSTAT_HOST_MAX_LISTENERS) {
    listener_overflow = 1;
    return 0;
  }
  if (c->n >= MAX_CHAIN) return 1;
  /* NETSTAT_HOST_MAX_LISTENERS - 1, for the verifier */
  asm volatile("%[at] &= 8191" : [at] "+r"(at));
  l = &listeners[at];
  s = bpf_rdonly_cast((void*)sk, bpf_core_type_id_kernel(struct sock));
  l->ns = ns & (MAX_NS - 1);
  l->port = skc->skc_num;
  __builtin_memset(l->address, 0, sizeof l->address);
  if (skc->skc_family == NETSTAT_AF_INET6) {
    l->family = 1;
    __builtin_memcpy(l->address, &skc->skc_v6_rcv_saddr, 16);
  } else {
    __u32 a = skc->skc_rcv_saddr;
    l->family = 0;
    __builtin_memcpy(l->address, &a, 4);
  }
  l->ack_backlog = s->sk_ack_backlog;
  l->max_ack_backlog = s->sk_max_ack_backlog;
  l->uid = s->sk_uid.val;
  l->bound_if = skc->skc_bound_dev_if;
  if (bpf_core_field_exists(struct sock, sk_ino)) {
    l->inode = s->sk_ino;
  } else {
    sock = AS_U64(s->sk_socket);
    l->inode = 0;
    if (sock) {
      struct socket_alloc* a =
          bpf_rdonly_cast((void*)sock, bpf_core_type_id_kernel(struct socket_alloc));
      l->inode = a->vfs_inode.i_ino;
    }
  }
  c->n++;
  return 0;
}

static __always_inline void note_incomplete(__u32 hash_kind, int which) {
  /* hash_kind: 0 the host's ehash, 1 the listening hash, 2 a namespace's own */
  if (hash_kind == 0) {
    if (which)
      long_chains++;
    else
      unstable++;
  } else if (hash_kind == 1) {
    if (which)
      l_long_chains++;
    else
      l_unstable++;
  } else {
    ns_state[target & (MAX_NS - 1)].incomplete++;
  }
}

#endif /* NETSTAT_READERS_TCP_ITER_TCP_HOST_CHAIN_BPF_H_ */
