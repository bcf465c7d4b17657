/* Part of tcp_host.bpf.c, included once by it after tcp_host_chain.bpf.h: PHASE_UDP, a
 * walk of one UDP table (input udp_kind: 0 the caller's namespace's UDP table,
 * net->ipv4.udp_table, 1 the UDP-Lite table) that gives every socket of a wanted
 * namespace as one record, with what udp_diag reports for it (udp_diag_get_info:
 * receive queue udp_rqueue_get, send queue sk_wmem_alloc_get).
 *
 * The table: struct udp_table { hash (udp_hslot[mask + 1]), hash2, mask }; a slot's
 * sockets are an hlist (sk_node) ended by NULL, changed under the slot's lock and
 * read under RCU as __udp4_lib_lookup's callers do (UDP sockets are SOCK_RCU_FREE, so
 * one unhashed during the walk still leads on to the rest of its old chain). A socket
 * that belongs to another slot ((num + net->hash_mix) & mask, udp_hashfn) means the
 * chain changed under the walk: the slot is walked again, its records dropped, as the
 * TCP chains are; MAX_RESTARTS failures count u_unstable, a chain longer than
 * MAX_UCHAIN u_long_chains.
 *
 * The UDP-Lite table is no namespace's field and its symbol is not in kallsyms without
 * CONFIG_KALLSYMS_ALL: it is found from a UDP-Lite socket of the caller's (input
 * udplite_fd, made by host_walk.cc), whose sk_prot->h.udp_table is &udplite_table.
 *
 * The same walk reads the raw socket tables (udp_kind NETSTAT_HOST_RAW4 and _RAW6), as
 * /proc/net/raw{,6} show them (this kernel has no raw_diag, so that is what each
 * namespace would be read from): struct raw_hashinfo { lock, ht[256] }, one hlist_head
 * per slot, sk_node chains ended by NULL, read under RCU as raw_v4_input does (raw
 * sockets are SOCK_RCU_FREE since Linux 6.0). Shared by every namespace, and found as
 * UDP-Lite's is: every namespace has a kernel raw socket for IGMP and MLD joins
 * (net->ipv4.mc_autojoin_sk, net->ipv6.mc_autojoin_sk) whose sk_prot->h.raw_hash is the
 * table. A socket's slot is hash_32(net->hash_mix ^ protocol, 8) (raw_hashfunc). */
#ifndef NETSTAT_READERS_TCP_ITER_UDP_HOST_BPF_H_
#define NETSTAT_READERS_TCP_ITER_UDP_HOST_BPF_H_

#define UCHUNK 128      /* slots read at once (at most 32 bytes each: 4096 bytes) */
#define MAX_UCHAIN 1024 /* sockets followed in one slot */
#define NETSTAT_IPPROTO_UDPLITE 136

/* Input. */
__u32 udp_kind;   /* NETSTAT_HOST_UDP, _UDPLITE, _RAW4 or _RAW6 */
__s32 udplite_fd; /* set by every UDP-Lite run; -1 none */

/* Output, per walk (reset by the first run of udp_kind 0). */
__u32 udp_count, udp_overflow;
__u32 udp_missing;    /* a table that should be there was not found (per kind, bit) */
__u64 udp_buckets[4]; /* by udp_kind */
__u64 u_restarts, u_unstable, u_long_chains, u_read_errors;
__u32 u_own; /* set by the program: the table walked is namespace target's own */
struct netstat_host_udp udp_records[NETSTAT_HOST_MAX_UDP];

/* The chain being followed. Its counts are globals, not on the stack: the verifier
 * would follow every value of a stack counter through the bpf_loop callback. */
struct uchain {
  __u64 node;
  __u32 slot, mask, ok;
};
static __u32 u_at; /* the next record of the slot being read */

/* &udplite_table, from the caller's UDP-Lite socket udplite_fd; 0 when not found. */
static __always_inline __u64 udplite_table_of_fd(void) {
  struct task_struct* task = bpf_get_current_task_btf();
  struct files_struct* files;
  struct fdtable* fdt;
  struct file* f;
  struct socket* so;
  struct sock* s;
  struct proto* p;
  __u64 file = 0, fds, sock, sk, prot;

  if (udplite_fd < 0) return 0;
  files = bpf_rdonly_cast((void*)AS_U64(task->files), bpf_core_type_id_kernel(struct files_struct));
  fdt = bpf_rdonly_cast((void*)AS_U64(files->fdt), bpf_core_type_id_kernel(struct fdtable));
  if ((__u32)udplite_fd >= fdt->max_fds) return 0;
  fds = AS_U64(fdt->fd);
  if (!fds || bpf_probe_read_kernel(&file, sizeof file, (void*)(fds + (__u64)udplite_fd * 8)))
    return 0;
  if (!file) return 0;
  f = bpf_rdonly_cast((void*)file, bpf_core_type_id_kernel(struct file));
  sock = AS_U64(f->private_data);
  if (!sock) return 0;
  so = bpf_rdonly_cast((void*)sock, bpf_core_type_id_kernel(struct socket));
  if (AS_U64(so->file) != file) return 0; /* not a socket */
  sk = AS_U64(so->sk);
  if (!sk) return 0;
  s = bpf_rdonly_cast((void*)sk, bpf_core_type_id_kernel(struct sock));
  if (s->sk_protocol != NETSTAT_IPPROTO_UDPLITE || s->sk_type != 2 /* SOCK_DGRAM */) return 0;
  prot = AS_U64(s->__sk_common.skc_prot);
  if (!prot) return 0;
  p = bpf_rdonly_cast((void*)prot, bpf_core_type_id_kernel(struct proto));
  return AS_U64(p->h.udp_table);
}

/* One socket of a slot's chain per step, staged straight into udp_records after the
 * committed ones (committed by advancing udp_count). 1 ends the chain. */
static int udp_step(__u32 i, struct uchain* c) {
  const __u32 node_off = bpf_core_field_offset(struct sock_common, skc_node);
  struct sock_common* skc;
  struct sock* s;
  struct net* n;
  struct netstat_host_udp* r;
  __u64 sk, node = c->node, net, sock;
  __u32 at;
  int ns;

  if (node == 0) {
    c->ok = 1;
    return 1;
  }
  sk = node - node_off;
  skc = bpf_rdonly_cast((void*)sk, bpf_core_type_id_kernel(struct sock_common));
  c->node = AS_U64(skc->skc_node.next);
  net = AS_U64(skc->skc_net.net);
  if (net == 0) return 1;
  n = bpf_rdonly_cast((void*)net, bpf_core_type_id_kernel(struct net));
  if (udp_kind >= NETSTAT_HOST_RAW4) {
    if ((((__u32)n->hash_mix ^ skc->skc_num) * 0x61C88647u) >> 24 != c->slot) return 1;
  } else if (((skc->skc_num + n->hash_mix) & c->mask) != c->slot) {
    return 1; /* moved: again */
  }
  ns = net_index(net);
  if (ns < 0) return 0;
  at = u_at;
  if (at >= NETSTAT_HOST_MAX_UDP) {
    udp_overflow = 1;
    return 0;
  }
  asm volatile("%[at] &= 8191" : [at] "+r"(at)); /* NETSTAT_HOST_MAX_UDP - 1, for the verifier */
  r = &udp_records[at];
  s = bpf_rdonly_cast((void*)sk, bpf_core_type_id_kernel(struct sock));
  r->ns = ns & (MAX_NS - 1);
  r->kind = udp_kind >= NETSTAT_HOST_RAW4 ? NETSTAT_HOST_RAW : udp_kind & 1;
  r->state = skc->skc_state;
  r->local_port = skc->skc_num;
  r->remote_port = bpf_ntohs(skc->skc_dport);
  __builtin_memset(r->local, 0, sizeof r->local);
  __builtin_memset(r->remote, 0, sizeof r->remote);
  if (skc->skc_family == NETSTAT_AF_INET6) {
    r->family = 1;
    __builtin_memcpy(r->local, &skc->skc_v6_rcv_saddr, 16);
    __builtin_memcpy(r->remote, &skc->skc_v6_daddr, 16);
  } else {
    __u32 a = skc->skc_rcv_saddr, b = skc->skc_daddr;
    r->family = 0;
    __builtin_memcpy(r->local, &a, 4);
    __builtin_memcpy(r->remote, &b, 4);
  }
  r->rqueue = (__u32)s->sk_backlog.rmem_alloc.counter;
  if (udp_kind < NETSTAT_HOST_RAW4 && bpf_core_field_exists(struct udp_sock, forward_deficit)) {
    struct udp_sock* up = bpf_rdonly_cast((void*)sk, bpf_core_type_id_kernel(struct udp_sock));
    r->rqueue -= (__u32)up->forward_deficit;
  }
  r->wqueue = (__u32)s->sk_wmem_alloc.refs.counter - 1;
  r->uid = s->sk_uid.val;
  r->bound_if = skc->skc_bound_dev_if;
  if (bpf_core_field_exists(struct sock, sk_ino)) {
    r->inode = s->sk_ino;
  } else {
    sock = AS_U64(s->sk_socket);
    r->inode = 0;
    if (sock) {
      struct socket_alloc* a =
          bpf_rdonly_cast((void*)sock, bpf_core_type_id_kernel(struct socket_alloc));
      r->inode = a->vfs_inode.i_ino;
    }
  }
  u_at = at + 1;
  return 0;
}

/* A slot given up: the host's table, or the own table of namespace `target`. */
static __always_inline void udp_bad(__u64* host_counter) {
  if (u_own)
    ns_state[target & (MAX_NS - 1)].own_udp_incomplete++;
  else
    (*host_counter)++;
}

/* Slot w_base + j of the table in w_hash, whose head is `head`. */
__noinline int udp_slot(__u32 j, __u64 head, __u32 mask) {
  struct uchain c = {};
  __u32 count0 = udp_count;
  long steps;
  int attempt;

  c.slot = w_base + j;
  c.mask = mask;
  for (attempt = 0; attempt < MAX_RESTARTS; ++attempt) {
    if (attempt > 0) {
      u_restarts++;
      if (bpf_probe_read_kernel(&head, sizeof head,
                                (void*)(w_hash + (__u64)c.slot * w_stride + w_head_off)))
        continue;
    }
    c.node = head;
    c.ok = 0;
    u_at = count0;
    steps = bpf_loop(MAX_UCHAIN + 1, udp_step, &c, 0);
    if (!c.ok && steps > MAX_UCHAIN) {
      udp_bad(&u_long_chains);
      udp_count = count0;
      return 0;
    }
    if (!c.ok) continue;
    udp_count = u_at;
    if (udp_count > NETSTAT_HOST_MAX_UDP) udp_count = NETSTAT_HOST_MAX_UDP;
    return 0;
  }
  udp_count = count0;
  udp_bad(&u_unstable);
  return 0;
}

/* One chunk of UCHUNK slots of w_stride bytes, read at once, under RCU. */
static __always_inline int udp_chunk_body(__u32 i) {
  __u32 chunk = w_first_chunk + i, count, j, off;
  __u64 base = (__u64)chunk * UCHUNK, size;
  int r = 0;

  if (base >= w_nbuckets) return 1;
  count = w_nbuckets - base;
  if (count > UCHUNK) count = UCHUNK;
  w_base = base;
  size = count * w_stride;
  asm volatile("%[s] &= 4095" : [s] "+r"(size));
  if (bpf_probe_read_kernel(heads, size, (void*)(w_hash + base * w_stride)) != 0) {
    udp_bad(&u_read_errors);
    r = 1;
  } else {
    for (j = 0; j < UCHUNK; ++j) {
      __u64 head;
      if (j >= count) break;
      off = (j * w_stride + w_head_off) / 8;
      head = heads[off & (2 * CHUNK - 1)];
      if (head) udp_slot(j, head, w_nbuckets - 1);
    }
  }
  return r;
}

static int udp_chunk(__u32 i, void* unused) {
  int r;
  bpf_rcu_read_lock();
  r = udp_chunk_body(i);
  bpf_rcu_read_unlock();
  return r;
}

static int udp_chunk_locked(__u32 i, void* unused) { return udp_chunk_body(i); }

/* The slot layout of the table at `table`; false when it is not one this walk reads. */
static __always_inline int udp_table_layout(__u64 table) {
  struct udp_table* t = bpf_rdonly_cast((void*)table, bpf_core_type_id_kernel(struct udp_table));
  w_hash = AS_U64(t->hash);
  w_nbuckets = t->mask + 1;
  w_stride = bpf_core_type_size(struct udp_hslot);
  w_head_off = bpf_core_field_offset(struct udp_hslot, head);
  return w_hash && w_stride && w_stride <= 32 && !(w_stride % 8) && !(w_head_off % 8) &&
         w_nbuckets > 1 && !(w_nbuckets & (w_nbuckets - 1));
}

/* The slots of a raw table (struct raw_hashinfo at `table`): 256 hlist_heads. */
static __always_inline int raw_table_layout(__u64 table) {
  w_hash = table + bpf_core_field_offset(struct raw_hashinfo, ht);
  w_nbuckets = bpf_core_field_size(struct raw_hashinfo, ht) / 8;
  w_stride = 8;
  w_head_off = 0;
  return table && w_nbuckets == 256; /* RAW_HTABLE_LOG 8: the slot check above */
}

/* One step of the search for a struct proto by name along proto_list. */
struct proto_search {
  __u64 node; /* the list_head `node` of the proto being looked at */
  __u64 first;
  __u64 found; /* its h.raw_hash */
  int v6;
};

static int proto_step(__u32 i, struct proto_search* c) {
  const __u32 node_off = bpf_core_field_offset(struct proto, node);
  struct proto* p =
      bpf_rdonly_cast((void*)(c->node - node_off), bpf_core_type_id_kernel(struct proto));
  struct list_head* l;

  /* "RAW" is raw_prot, "RAWv6" rawv6_prot (the list head itself reads as no name) */
  if (p->name[0] == 'R' && p->name[1] == 'A' && p->name[2] == 'W' &&
      ((!c->v6 && p->name[3] == 0) ||
       (c->v6 && p->name[3] == 'v' && p->name[4] == '6' && p->name[5] == 0))) {
    c->found = AS_U64(p->h.raw_hash);
    return 1;
  }
  l = bpf_rdonly_cast((void*)c->node, bpf_core_type_id_kernel(struct list_head));
  c->node = AS_U64(l->next);
  return c->node == 0 || c->node == c->first;
}

/* &raw_v4_hashinfo or &raw_v6_hashinfo: raw_prot's (rawv6_prot's) h.raw_hash. Neither
 * symbol is in kallsyms, but every registered struct proto is on one list (proto_list,
 * by its `node`), and every namespace has a kernel socket for multicast joins
 * (net->ipv4.mc_autojoin_sk, UDP) whose sk_prot is on it. 0 when not found. */
static __always_inline __u64 raw_table_of(struct net* net, int v6) {
  struct proto_search c = {};
  struct sock* s = BPF_CORE_READ(net, ipv4.mc_autojoin_sk);
  struct proto* p;

  if (!s) return 0;
  p = BPF_CORE_READ(s, __sk_common.skc_prot);
  if (!p) return 0;
  c.node = (__u64)p + bpf_core_field_offset(struct proto, node);
  c.first = c.node;
  c.v6 = v6;
  bpf_loop(128, proto_step, &c, 0);
  return c.found;
}

/* PHASE_UDP_OWN, inside the RCU read section in which the list walk found namespace
 * target's table (w_hashinfo): freed with its namespace, after a grace period. */
static __always_inline void walk_udp_own_locked(void) {
  u_own = 1;
  if (udp_table_layout(w_hashinfo) && w_nbuckets <= 65536) {
    w_first_chunk = 0;
    bpf_loop((w_nbuckets + UCHUNK - 1) / UCHUNK, udp_chunk_locked, 0, 0);
    ns_state[target & (MAX_NS - 1)].own_udp_walked = 1;
  }
  u_own = 0;
}

/* PHASE_UDP from the caller's namespace `net`. */
static __always_inline void walk_udp(struct net* net) {
  __u64 table;
  __u32 chunks, kind = udp_kind & 3;
  int ok;

  if (slice_start == 0 && kind == 0) {
    udp_count = udp_overflow = udp_missing = 0;
    u_restarts = u_unstable = u_long_chains = u_read_errors = 0;
    udp_buckets[0] = udp_buckets[1] = 0;
  }
  if (kind == NETSTAT_HOST_UDP) {
    table = (__u64)BPF_CORE_READ(net, ipv4.udp_table);
  } else if (kind == NETSTAT_HOST_UDPLITE) {
    bpf_rcu_read_lock();
    table = udplite_table_of_fd();
    bpf_rcu_read_unlock();
  } else {
    table = raw_table_of(net, kind == NETSTAT_HOST_RAW6);
  }
  if (!table) {
    udp_missing |= 1u << kind;
    done = 1;
    return;
  }
  u_own = 0;
  ok = kind >= NETSTAT_HOST_RAW4 ? raw_table_layout(table) : udp_table_layout(table);
  if (!ok) {
    udp_missing |= 1u << kind;
    done = 1;
    return;
  }
  udp_buckets[kind] = w_nbuckets;
  chunks = slice(UCHUNK);
  if (chunks) bpf_loop(chunks, udp_chunk, 0, 0);
}

#endif /* NETSTAT_READERS_TCP_ITER_UDP_HOST_BPF_H_ */
