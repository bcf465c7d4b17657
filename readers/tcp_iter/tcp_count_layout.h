/* The memory shared by tcp_ehash.bpf.c and tcp_count.bpf.c and their user side
 * (tcp_iter_counter.cc): the programs' global variables, which libbpf maps into the
 * exporter (.bss), so a run's result is read without a map lookup. Both programs use
 * the same names for their slots and results. C, for both compilers. */
#ifndef NETSTAT_READERS_TCP_ITER_TCP_COUNT_LAYOUT_H_
#define NETSTAT_READERS_TCP_ITER_TCP_COUNT_LAYOUT_H_

/* Kernel TCP state codes 0..15 (12 is the highest there is). */
#define NETSTAT_TCP_STATES 16
/* Port slots, counted per state: slot 0 means "not tracked"; the tracked local ports
 * take slots 1.., the tracked remote ports the slots after them. */
#define NETSTAT_TCP_MAX_SLOTS 4096

/* By family (0 ipv4, 1 ipv6) and state, as inet_diag would report each socket. */
struct netstat_tcp_totals {
  __u64 sockets[2][NETSTAT_TCP_STATES];
  __u64 receive_queue[2][NETSTAT_TCP_STATES];
  __u64 send_queue[2][NETSTAT_TCP_STATES];
};

/* Per port slot (row, in tcp_host.bpf.c): the smoothed RTTs of its established
 * connections that have one, in microseconds (srtt_us >> 3, as tcp_info's tcpi_rtt). */
struct netstat_tcp_port_rtt {
  __u64 sum_us;
  __u32 max_us;
  __u32 sockets;
};

#endif /* NETSTAT_READERS_TCP_ITER_TCP_COUNT_LAYOUT_H_ */
