// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Listener events: on the sock:inet_sock_set_state tracepoint (a BTF raw tracepoint, so
 * no tracefs is needed), TCP sockets entering LISTEN (listen() runs in the owner's
 * context: its tgid and comm are current) or leaving it go to user space through a ring
 * buffer, and passive opens (SYN_RECV -> ESTABLISHED: the handshake completed and the
 * connection is queued for accept()) are counted per (netns, port) in a hash map.
 * Nothing is allocated per event: the ring buffer slot is reserved in place, the hash
 * map is preallocated. What cannot be delivered is counted in `counters`.
 * The program runs about six times per TCP connection, so the socket is read with plain
 * BTF-typed loads (tp_btf hands a trusted pointer; vmlinux.h's types carry CO-RE
 * relocations), not with bpf_probe_read_kernel() calls. */
/* vmlinux.h first: the libbpf headers use its types. */
/* clang-format off */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "readers/listen_trace/listener_event.h"
/* clang-format on */

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
/* include/net/tcp_states.h */
#define TCP_ESTABLISHED 1
#define TCP_SYN_RECV 3
#define TCP_CLOSE 7
#define TCP_LISTEN 10

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by user space before loading: with `namespaces: {mode: own}` the inode of the
 * exporter's own network namespace, and only its sockets are reported and counted (the
 * map then holds one namespace's ports, the ring buffer no other's events); 0: all. */
const volatile __u64 only_netns = 0;

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 256 * 1024); /* 4,096 events of 64 bytes between two drains */
} events SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16384);
  __type(key, struct netstat_accept_key);
  __type(value, __u64);
} accepted SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, NETSTAT_LE_COUNTERS);
  __type(key, __u32);
  __type(value, __u64);
} counters SEC(".maps");

static __always_inline void bump(__u32 slot) {
  __u64* n = bpf_map_lookup_elem(&counters, &slot);
  if (n) __sync_fetch_and_add(n, 1);
}

static __always_inline __u64 netns_of(const struct sock* sk) {
  return sk->__sk_common.skc_net.net->ns.inum;
}

/* Whether the socket's namespace is one to report and count (only_netns). */
static __always_inline int wanted(const struct sock* sk) {
  return only_netns == 0 || netns_of(sk) == only_netns;
}

static __always_inline void count_accepted(const struct sock* sk) {
  struct netstat_accept_key key = {};
  key.netns = netns_of(sk);
  key.port = sk->__sk_common.skc_num;
  __u64* n = bpf_map_lookup_elem(&accepted, &key);
  if (n) {
    __sync_fetch_and_add(n, 1);
    return;
  }
  __u64 one = 1;
  /* Two CPUs may race to insert the first connection of a port: the loser adds. */
  if (bpf_map_update_elem(&accepted, &key, &one, BPF_NOEXIST) == 0) return;
  n = bpf_map_lookup_elem(&accepted, &key);
  if (n) {
    __sync_fetch_and_add(n, 1);
  } else {
    bump(NETSTAT_LE_ACCEPT_UNKEYED);
  }
}

static __always_inline void send_event(const struct sock* sk, int opened) {
  struct netstat_listener_event* e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) {
    bump(NETSTAT_LE_LOST);
    return;
  }
  __u16 family = sk->__sk_common.skc_family;
  e->netns = netns_of(sk);
  e->tgid = bpf_get_current_pid_tgid() >> 32;
  e->uid = sk->sk_uid.val;
  __builtin_memset(e->address, 0, sizeof(e->address));
  if (family == AF_INET6) {
    BPF_CORE_READ_INTO(&e->address, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
  } else {
    __u32 v4 = sk->__sk_common.skc_rcv_saddr;
    __builtin_memcpy(e->address, &v4, sizeof(v4));
  }
  e->port = sk->__sk_common.skc_num;
  e->family = family;
  e->opened = opened;
  e->protocol = IPPROTO_TCP;
  e->pad[0] = e->pad[1] = 0;
  bpf_get_current_comm(e->comm, sizeof(e->comm));
  bpf_ringbuf_submit(e, 0);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(on_inet_sock_set_state, const struct sock* sk, int oldstate, int newstate) {
  /* Every TCP state change of every socket passes here: leave early for the rest. */
  if (newstate == TCP_ESTABLISHED) {
    if (oldstate == TCP_SYN_RECV && sk->sk_protocol == IPPROTO_TCP && wanted(sk)) {
      count_accepted(sk);
    }
    return 0;
  }
  /* LISTEN -> SYN_RECV is a child socket cloned from its listener, not a listener
   * closing; a listener closes (or a failed listen() undoes itself) into CLOSE. */
  const int opened = newstate == TCP_LISTEN;
  if (!opened && !(oldstate == TCP_LISTEN && newstate == TCP_CLOSE)) return 0;
  if (sk->sk_protocol != IPPROTO_TCP || !wanted(sk)) return 0;
  send_event(sk, opened);
  return 0;
}
