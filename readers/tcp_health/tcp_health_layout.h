/* What the tcp_health BPF program (tcp_health.bpf.c) keeps per service port, shared by
 * both sides: plain C, fixed-width kernel types, no padding holes. */
#ifndef NETSTAT_READERS_TCP_HEALTH_TCP_HEALTH_LAYOUT_H_
#define NETSTAT_READERS_TCP_HEALTH_TCP_HEALTH_LAYOUT_H_

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Finite histogram bounds per histogram; one more bucket holds what is above them. */
#define NETSTAT_TH_BOUNDS 8
#define NETSTAT_TH_BUCKETS (NETSTAT_TH_BOUNDS + 1)

/* Upper bounds in nanoseconds (the `le` labels in seconds are these / 1e9).
 * Lifetime: a request/response on a LAN is milliseconds, a pooled connection minutes
 * to hours. */
#define NETSTAT_TH_DURATION_BOUNDS_NS                                                     \
  {                                                                                       \
    1000000ULL, 10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL, 60000000000ULL, \
        600000000000ULL, 3600000000000ULL                                                 \
  }
/* Smoothed RTT: loopback and a rack are tens of microseconds, a LAN under a
 * millisecond, a region tens of milliseconds, across the world 100-300 ms. */
#define NETSTAT_TH_RTT_BOUNDS_NS                                                          \
  {                                                                                       \
    100000ULL, 500000ULL, 1000000ULL, 5000000ULL, 10000000ULL, 50000000ULL, 100000000ULL, \
        500000000ULL                                                                      \
  }
/* Connect (SYN sent to established): one RTT when all goes well; a lost SYN is sent
 * again after 1 s and 3 s (the initial RTO, doubled), so 1.5 s and 5 s tell "one SYN
 * lost" and "two lost" apart from a slow peer. */
#define NETSTAT_TH_CONNECT_BOUNDS_NS                                                             \
  {                                                                                              \
    1000000ULL, 5000000ULL, 10000000ULL, 50000000ULL, 100000000ULL, 500000000ULL, 1500000000ULL, \
        5000000000ULL                                                                            \
  }

#define NETSTAT_TH_SERVER 0 /* keyed by the local (listening) port */
#define NETSTAT_TH_CLIENT 1 /* keyed by the remote port, when configured */
#define NETSTAT_TH_OTHER_PORT 0

struct netstat_th_key {
  __u64 netns; /* inode of the socket's network namespace */
  __u16 port;  /* NETSTAT_TH_OTHER_PORT: every port not tracked on its own */
  __u8 side;   /* NETSTAT_TH_SERVER or NETSTAT_TH_CLIENT */
  __u8 pad[5];
};

/* Bucket counts are per bucket, not cumulative; the count is their sum. */
struct netstat_th_histogram {
  __u64 buckets[NETSTAT_TH_BUCKETS];
  __u64 sum_ns;
};

struct netstat_th_value {
  __u64 retransmits; /* segments, as Tcp RetransSegs counts them */
  __u64 resets_sent;
  __u64 resets_received;
  __u64 sent_bytes;     /* bytes acked by the peer, at close */
  __u64 received_bytes; /* at close */
  __u64 failed_refused; /* connects answered by a reset (client side) */
  __u64 failed_timed_out;
  __u64 failed_other;
  struct netstat_th_histogram duration; /* established to close */
  struct netstat_th_histogram rtt;      /* smoothed RTT at close */
  struct netstat_th_histogram connect;  /* SYN sent to established (client side) */
};

/* UDP datagrams dropped because a socket's receive buffer was full (Udp RcvbufErrors),
 * per local port. */
struct netstat_th_udp_key {
  __u64 netns;
  __u16 port;
  __u8 pad[6];
};

/* Packets the kernel freed with a drop reason (kfree_skb), per local port: the
 * destination port of a packet received, the source port of one sent. The reason is the
 * kernel's enum skb_drop_reason value; user space names it from the kernel's BTF. */
struct netstat_th_drop_key {
  __u64 netns;
  __u32 reason;
  __u16 port;    /* NETSTAT_TH_OTHER_PORT for no_socket: a closed port, a scan */
  __u8 protocol; /* IPPROTO_TCP or IPPROTO_UDP */
  __u8 pad;
};

/* Slots of the counters array. */
#define NETSTAT_TH_DROPPED 0 /* events not counted: the per-port map was full */
#define NETSTAT_TH_COUNTERS 1

#define NETSTAT_TH_REMOTE_WORDS 2048 /* 65,536 bits: configured remote ports */

#endif /* NETSTAT_READERS_TCP_HEALTH_TCP_HEALTH_LAYOUT_H_ */
