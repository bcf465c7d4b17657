// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* TCP health per service port, counted in the kernel. Each connection is keyed once,
 * when it opens, by (network namespace, side, port): the server side by its local port
 * (a passive open: the port has a listener), the client side by its remote port when
 * that port is configured (remote_ports), else port 0 ("other"). The key and the open
 * time live in the socket's own storage (BPF_MAP_TYPE_SK_STORAGE), which the kernel
 * frees with the socket: nothing per connection is kept in a map to prune, and nothing
 * per connection reaches user space. Counts go to one value per key in `ports`:
 *   - inet_sock_set_state: the open (SYN_SENT, or SYN_RECV -> ESTABLISHED for the
 *     accepted child), connect latency (SYN_SENT -> ESTABLISHED), failed connects
 *     (SYN_SENT -> CLOSE, by sk_err), and at close the lifetime, the smoothed RTT and
 *     the bytes acked and received;
 *   - tcp_retransmit_skb, tcp_send_reset, tcp_receive_reset: per-event counters;
 *   - udp_fail_queue_rcv_skb: UDP datagrams dropped for a full receive buffer, per
 *     (netns, local port), in a map of their own (`udp_drops`);
 *   - kfree_skb: TCP and UDP packets freed with a drop reason, per (netns, local port,
 *     reason) (`drops`); drops without a reason (NOT_SPECIFIED) are not counted.
 * A socket without storage (opened before the program loaded, or a request or
 * time-wait socket) is keyed by its ports: the lower one is taken for the service.
 * Every hook is a BTF raw tracepoint (tp_btf): no tracefs, and fentry is not needed. */
/* clang-format off */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "readers/tcp_health/tcp_health_layout.h"
/* clang-format on */

#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define ENOMEM 12
#define ECONNREFUSED 111
#define ETIMEDOUT 110
/* include/net/tcp_states.h */
#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_SYN_RECV 3
#define TCP_CLOSE 7

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set before loading: with `namespaces: {mode: own}` the exporter's own namespace, and
 * only its connections count; 0: every namespace. */
const volatile __u64 only_netns = 0;

static const __u64 duration_bounds[NETSTAT_TH_BOUNDS] = NETSTAT_TH_DURATION_BOUNDS_NS;
static const __u64 rtt_bounds[NETSTAT_TH_BOUNDS] = NETSTAT_TH_RTT_BOUNDS_NS;
static const __u64 connect_bounds[NETSTAT_TH_BOUNDS] = NETSTAT_TH_CONNECT_BOUNDS_NS;

/* What a connection carries in its socket storage. */
struct conn {
  __u64 start_ns; /* SYN sent (client) until established, then established */
  __u64 netns;
  __u16 port;
  __u8 side;
  __u8 established;
  __u32 pad;
};

struct {
  __uint(type, BPF_MAP_TYPE_SK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, struct conn);
} conns SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 2000); /* max_series, set by user space before loading */
  __type(key, struct netstat_th_key);
  __type(value, struct netstat_th_value);
} ports SEC(".maps");

/* A bit per remote port to key by its own (sockets.remote_ports), set by user space. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, NETSTAT_TH_REMOTE_WORDS);
  __type(key, __u32);
  __type(value, __u32);
} remote_ports SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, NETSTAT_TH_COUNTERS);
  __type(key, __u32);
  __type(value, __u64);
} counters SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 2000); /* max_series, set by user space before loading */
  __type(key, struct netstat_th_udp_key);
  __type(value, __u64);
} udp_drops SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 2000); /* max_series, set by user space before loading */
  __type(key, struct netstat_th_drop_key);
  __type(value, __u64);
} drops SEC(".maps");

static struct netstat_th_value zero_value; /* what a new key starts from */

static __always_inline void bump(__u32 slot) {
  __u64* n = bpf_map_lookup_elem(&counters, &slot);
  if (n) __sync_fetch_and_add(n, 1);
}

static __always_inline int remote_wanted(__u16 port) {
  __u32 word = port >> 5;
  __u32* bits = bpf_map_lookup_elem(&remote_ports, &word);
  return bits && ((*bits >> (port & 31)) & 1);
}

/* The value of a key that is not in `ports` yet: made, or, when the map is full
 * (max_series), the side's "other" port of the namespace; when that cannot be made
 * either, the dropped counter. Out of line: it runs once per key. */
static __noinline struct netstat_th_value* make_value(struct netstat_th_key* key) {
  struct netstat_th_value* v;

  bpf_map_update_elem(&ports, key, &zero_value, BPF_NOEXIST); /* a racing CPU may win */
  v = bpf_map_lookup_elem(&ports, key);
  if (v) return v;
  key->port = NETSTAT_TH_OTHER_PORT;
  v = bpf_map_lookup_elem(&ports, key);
  if (v) return v;
  bpf_map_update_elem(&ports, key, &zero_value, BPF_NOEXIST);
  v = bpf_map_lookup_elem(&ports, key);
  if (!v) bump(NETSTAT_TH_DROPPED);
  return v;
}

/* The value of a key, made on first use. Inline: a call to a BPF function costs more
 * than the lookup on the hot path. */
static __always_inline struct netstat_th_value* value_of(__u64 netns, __u16 port, __u8 side) {
  struct netstat_th_key key = {};
  struct netstat_th_value* v;

  key.netns = netns;
  key.port = port;
  key.side = side;
  v = bpf_map_lookup_elem(&ports, &key);
  return v ? v : make_value(&key);
}

static __always_inline void observe(struct netstat_th_histogram* h, const __u64* bounds,
                                    __u64 value) {
  __u32 i;
  for (i = 0; i < NETSTAT_TH_BOUNDS; i++) {
    if (value <= bounds[i]) break;
  }
  if (i > NETSTAT_TH_BOUNDS) i = NETSTAT_TH_BOUNDS;
  __sync_fetch_and_add(&h->buckets[i], 1);
  __sync_fetch_and_add(&h->sum_ns, value);
}

static __always_inline __u64 netns_of(const struct sock* sk) {
  return sk->__sk_common.skc_net.net->ns.inum;
}

static __always_inline struct conn* conn_of(const struct sock* sk) {
  return bpf_sk_storage_get(&conns, (struct sock*)sk, 0, 0);
}

/* The value for an event on `sk`: by its storage, else by its ports. NULL when the
 * socket's namespace is not counted. */
static __always_inline struct netstat_th_value* value_for(const struct sock* sk) {
  struct conn* c = conn_of(sk);
  __u64 netns;
  __u16 local, remote;

  if (c) return value_of(c->netns, c->port, c->side);
  netns = netns_of(sk);
  if (only_netns != 0 && netns != only_netns) return 0;
  local = sk->__sk_common.skc_num;
  remote = bpf_ntohs(sk->__sk_common.skc_dport);
  if (local != 0 && local <= remote) return value_of(netns, local, NETSTAT_TH_SERVER);
  return value_of(netns, remote_wanted(remote) ? remote : NETSTAT_TH_OTHER_PORT, NETSTAT_TH_CLIENT);
}

/* A new connection's storage: the client side at SYN_SENT, the server side when the
 * accepted child is established. */
static __always_inline void open_conn(const struct sock* sk, __u8 side) {
  __u64 netns = netns_of(sk);
  struct conn* c;
  __u16 remote;

  if (only_netns != 0 && netns != only_netns) return;
  c = bpf_sk_storage_get(&conns, (struct sock*)sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
  if (!c) return;
  c->start_ns = bpf_ktime_get_ns();
  c->netns = netns;
  c->side = side;
  c->established = side == NETSTAT_TH_SERVER;
  if (side == NETSTAT_TH_SERVER) {
    c->port = sk->__sk_common.skc_num;
  } else {
    remote = bpf_ntohs(sk->__sk_common.skc_dport);
    c->port = remote_wanted(remote) ? remote : NETSTAT_TH_OTHER_PORT;
  }
}

static __always_inline void connected(const struct sock* sk) {
  struct conn* c = conn_of(sk);
  struct netstat_th_value* v;
  __u64 now;

  if (!c || c->established) return;
  now = bpf_ktime_get_ns();
  v = value_of(c->netns, c->port, c->side);
  if (v) observe(&v->connect, connect_bounds, now - c->start_ns);
  c->start_ns = now;
  c->established = 1;
}

static __always_inline void failed(const struct sock* sk) {
  struct netstat_th_value* v = value_for(sk);
  int err = sk->sk_err;

  if (!v) return;
  if (err == ECONNREFUSED)
    __sync_fetch_and_add(&v->failed_refused, 1);
  else if (err == ETIMEDOUT)
    __sync_fetch_and_add(&v->failed_timed_out, 1);
  else
    __sync_fetch_and_add(&v->failed_other, 1);
}

static __always_inline void closed(const struct sock* sk) {
  struct conn* c = conn_of(sk);
  struct netstat_th_value* v;
  struct tcp_sock* tp;
  __u64 srtt_ns;

  if (!c) return;
  if (c->established) {
    v = value_of(c->netns, c->port, c->side);
    tp = bpf_skc_to_tcp_sock((void*)sk);
    if (v) {
      observe(&v->duration, duration_bounds, bpf_ktime_get_ns() - c->start_ns);
      if (tp) {
        srtt_ns = (__u64)(tp->srtt_us >> 3) * 1000;
        if (srtt_ns) observe(&v->rtt, rtt_bounds, srtt_ns);
        __sync_fetch_and_add(&v->sent_bytes, tp->bytes_acked);
        __sync_fetch_and_add(&v->received_bytes, tp->bytes_received);
      }
    }
  }
  /* A socket may connect() again. Leaving the storage to the kernel (freed with the
   * socket) costs the same: the work moves to __sk_destruct (tcp_health_bench.sh). */
  bpf_sk_storage_delete(&conns, (struct sock*)sk);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(th_set_state, const struct sock* sk, int oldstate, int newstate) {
  if (sk->sk_protocol != IPPROTO_TCP) return 0;
  if (newstate == TCP_SYN_SENT) {
    open_conn(sk, NETSTAT_TH_CLIENT);
  } else if (newstate == TCP_ESTABLISHED) {
    if (oldstate == TCP_SYN_SENT) connected(sk);
    if (oldstate == TCP_SYN_RECV) open_conn(sk, NETSTAT_TH_SERVER);
  } else if (newstate == TCP_CLOSE) {
    if (oldstate == TCP_SYN_SENT) failed(sk);
    closed(sk);
  }
  return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(th_retransmit, const struct sock* sk, const struct sk_buff* skb, int err) {
  struct netstat_th_value* v;
  __u16 segs = 0;

  if (!sk || !skb) return 0; /* the verifier: these tracepoints' pointers may be NULL */
  if (err != 0) return 0;    /* not sent: Tcp RetransSegs does not count it either */
  v = value_for(sk);
  if (!v) return 0;
  /* tcp_skb_pcount(): TCP_SKB_CB(skb)->tcp_gso_segs, 8 bytes into skb->cb. */
  bpf_probe_read_kernel(&segs, sizeof segs,
                        (void*)skb + bpf_core_field_offset(struct sk_buff, cb) + 8);
  __sync_fetch_and_add(&v->retransmits, segs ? segs : 1);
  return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(th_send_reset, const struct sock* sk, const struct sk_buff* skb) {
  struct netstat_th_value* v;
  __u64 netns;

  if (sk) {
    v = value_for(sk);
  } else if (skb) {
    /* A reset for a segment no socket took (a closed port): the server side's other. */
    netns = skb->dev->nd_net.net->ns.inum;
    if (only_netns != 0 && netns != only_netns) return 0;
    v = value_of(netns, NETSTAT_TH_OTHER_PORT, NETSTAT_TH_SERVER);
  } else {
    return 0;
  }
  if (v) __sync_fetch_and_add(&v->resets_sent, 1);
  return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(th_receive_reset, struct sock* sk) {
  struct netstat_th_value* v;
  if (!sk) return 0;
  v = value_for(sk);
  if (v) __sync_fetch_and_add(&v->resets_received, 1);
  return 0;
}

/* Adds one to `key` of a counting map, making it on first use; a full map counts in
 * the dropped counter. */
static __noinline void count_in(void* map, const void* key) {
  __u64 one = 1, *n = bpf_map_lookup_elem(map, key);
  if (n) {
    __sync_fetch_and_add(n, 1);
    return;
  }
  if (bpf_map_update_elem(map, key, &one, BPF_NOEXIST) == 0) return;
  n = bpf_map_lookup_elem(map, key); /* another CPU made it first */
  if (n)
    __sync_fetch_and_add(n, 1);
  else
    bump(NETSTAT_TH_DROPPED);
}

/* __udp_queue_rcv_skb and its IPv6 twin: -ENOMEM is a full receive buffer (counted as
 * RcvbufErrors), anything else a memory accounting failure (MemErrors), left out. */
SEC("tp_btf/udp_fail_queue_rcv_skb")
int BPF_PROG(th_udp_drop, int rc, struct sock* sk, struct sk_buff* skb) {
  struct netstat_th_udp_key key = {};

  if (!sk || rc != -ENOMEM) return 0;
  key.netns = netns_of(sk);
  if (only_netns != 0 && key.netns != only_netns) return 0;
  key.port = sk->__sk_common.skc_num;
  count_in(&udp_drops, &key);
  return 0;
}

/* The packet's IP protocol and local port, from its headers: skb_iif is set on a packet
 * that came in (its destination port is ours), 0 on one we sent (the source port is).
 * 0 when it is not TCP or UDP over IPv4 or IPv6, or its headers are not set yet. */
static __always_inline int drop_port(const struct sk_buff* skb, __u8* protocol, __u16* port) {
  unsigned char* head = skb->head;
  __u16 nh = skb->network_header, th = skb->transport_header;
  __u8 version = 0, proto = 0;
  __u16 ports[2] = {};

  if (!head || nh == 0xffff || th == 0xffff || th <= nh) return 0;
  if (bpf_probe_read_kernel(&version, 1, head + nh)) return 0;
  version >>= 4;
  if (version == 4) {
    if (bpf_probe_read_kernel(&proto, 1, head + nh + 9)) return 0;
  } else if (version == 6) {
    if (bpf_probe_read_kernel(&proto, 1, head + nh + 6)) return 0;
  } else {
    return 0;
  }
  if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) return 0;
  if (bpf_probe_read_kernel(ports, sizeof ports, head + th)) return 0;
  *protocol = proto;
  *port = bpf_ntohs(skb->skb_iif ? ports[1] : ports[0]);
  return 1;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(th_drop, struct sk_buff* skb, void* location, enum skb_drop_reason reason,
             struct sock* rx_sk) {
  struct netstat_th_drop_key key = {};
  struct net_device* dev;
  struct sock* owner;

  if (!skb) return 0;
  if ((__u32)reason <=
      (__u32)bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NOT_SPECIFIED))
    return 0;
  if (!drop_port(skb, &key.protocol, &key.port)) return 0;
  owner = skb->sk; /* once: each load of an RCU pointer must be checked on its own */
  dev = skb->dev;
  if (rx_sk)
    key.netns = netns_of(rx_sk);
  else if (owner)
    key.netns = netns_of(owner);
  else if (dev)
    key.netns = dev->nd_net.net->ns.inum;
  if (key.netns == 0 || (only_netns != 0 && key.netns != only_netns)) return 0;
  if ((__u32)reason == (__u32)bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NO_SOCKET))
    key.port = NETSTAT_TH_OTHER_PORT; /* no socket: a closed port, or a scan of them all */
  key.reason = (__u32)reason;
  count_in(&drops, &key);
  return 0;
}
