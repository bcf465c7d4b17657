/* What the BPF program (listener_events.bpf.c) hands to user space, shared by both
 * sides: plain C, fixed-width kernel types, no padding holes. */
#ifndef NETSTAT_READERS_LISTEN_TRACE_LISTENER_EVENT_H_
#define NETSTAT_READERS_LISTEN_TRACE_LISTENER_EVENT_H_

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define NETSTAT_LE_COMM_LEN 16

/* One transition of a TCP socket into LISTEN (opened = 1) or out of it (opened = 0). */
struct netstat_listener_event {
  __u64 netns;      /* inode of the socket's network namespace, as in "net:[N]" */
  __u32 tgid;       /* the process that called listen() (close: the closing one), init pid ns */
  __u32 uid;        /* the socket's owner (sk_uid), init user ns */
  __u8 address[16]; /* bound address, network order; IPv4 in the first 4 bytes */
  __u16 port;       /* host order; 0 when listen() autobinds (the port comes later) */
  __u16 family;     /* AF_INET or AF_INET6 */
  __u8 opened;
  __u8 protocol; /* IPPROTO_TCP */
  __u8 pad[2];
  char comm[NETSTAT_LE_COMM_LEN]; /* the task's comm, cut at 15 bytes by the kernel */
};

/* Key of the per-port accepted-connection counters (value: __u64 count). */
struct netstat_accept_key {
  __u64 netns;
  __u16 port; /* local (listening) port, host order */
  __u8 pad[6];
};

/* Slots of the `counters` array map. */
enum netstat_listener_counter {
  NETSTAT_LE_LOST = 0,           /* ring buffer full: event not delivered */
  NETSTAT_LE_ACCEPT_UNKEYED = 1, /* accepted-connection map full: connection not counted */
  NETSTAT_LE_COUNTERS = 2,
};

#endif /* NETSTAT_READERS_LISTEN_TRACE_LISTENER_EVENT_H_ */
