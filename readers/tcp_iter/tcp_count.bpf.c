// SPDX-License-Identifier: GPL-2.0
/* Counts the TCP sockets of one network namespace inside the kernel, the way the
 * inet_diag (sock_diag) dump of the established hash would report them, so that no
 * per-socket netlink message is built: an iter/tcp program, run once per read of an
 * iterator fd, adds each socket to the totals below. The iterator walks the listening
 * and the established hash of the namespace of the process that created the fd;
 * listeners are skipped (the exporter dumps them through netlink, cheaply).
 *
 * What inet_diag reports, and so what is counted here:
 *   - time-wait sockets: state tw_substate (fin_wait2 or time_wait), queues 0
 *     (inet_twsk_diag_fill);
 *   - request sockets (TCP_NEW_SYN_RECV): state syn_recv, queues 0 (inet_req_diag_fill);
 *   - full sockets: receive queue max(rcv_nxt - copied_seq, 0), send queue
 *     write_seq - snd_una (tcp_diag_get_info).
 * Only-bound sockets are in neither hash, so they are not counted: the netlink side
 * never asks for them either (TCP_BOUND_INACTIVE is not in its state mask). */
/* vmlinux.h first: it defines the kernel types every other header uses */
// clang-format off
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "readers/tcp_iter/tcp_count_layout.h"
// clang-format on

char LICENSE[] SEC("license") = "GPL";

#define NETSTAT_AF_INET6 10

/* Zeroed and filled by user space before each run; read back after it. */
struct netstat_tcp_totals totals;
__u64 port_counts[NETSTAT_TCP_MAX_SLOTS][NETSTAT_TCP_STATES];
struct netstat_tcp_port_rtt port_rtt[NETSTAT_TCP_MAX_SLOTS];
/* Port (host order) -> slot; 0: not tracked. */
__u16 local_slot[65536];
__u16 remote_slot[65536];

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

SEC("iter/tcp")
int count_tcp(struct bpf_iter__tcp* ctx) {
  struct sock_common* skc = ctx->sk_common;
  __u32 state, family;
  __u64 receive_queue = 0, send_queue = 0;
  __u32 rtt_us = 0;

  if (!skc) return 0; /* the end of the walk */
  state = skc->skc_state;
  if (state == TCP_LISTEN) return 0;
  if (state == TCP_TIME_WAIT) {
    struct tcp_timewait_sock* tw = bpf_skc_to_tcp_timewait_sock(skc);
    if (!tw) return 0;
    state = tw->tw_sk.tw_substate;
  } else if (state == TCP_NEW_SYN_RECV) {
    state = TCP_SYN_RECV;
  } else {
    struct tcp_sock* tp = bpf_skc_to_tcp_sock(skc);
    if (tp) {
      __s32 unread = (__s32)(tp->rcv_nxt - tp->copied_seq);
      receive_queue = unread > 0 ? (__u32)unread : 0;
      send_queue = (__u32)(tp->write_seq - tp->snd_una);
      if (state == TCP_ESTABLISHED) rtt_us = tp->srtt_us >> 3;
    }
  }
  state &= NETSTAT_TCP_STATES - 1;
  family = skc->skc_family == NETSTAT_AF_INET6 ? 1 : 0;
  totals.sockets[family][state] += 1;
  totals.receive_queue[family][state] += receive_queue;
  totals.send_queue[family][state] += send_queue;
  count_port(local_slot[skc->skc_num], state);
  count_port(remote_slot[bpf_ntohs(skc->skc_dport)], state);
  if (rtt_us != 0) {
    add_rtt(local_slot[skc->skc_num], rtt_us);
    add_rtt(remote_slot[bpf_ntohs(skc->skc_dport)], rtt_us);
  }
  return 0;
}
