/* The memory shared by tcp_host.bpf.c and its user side (host_walk.cc,
 * host_walk_decode.cc): sizes and the records the program writes. C, for both
 * compilers. See tcp_host.bpf.c for what each field means. */
#ifndef NETSTAT_READERS_TCP_ITER_HOST_WALK_LAYOUT_H_
#define NETSTAT_READERS_TCP_ITER_HOST_WALK_LAYOUT_H_

/* Wanted namespaces in one walk (a power of two: the program masks indices with it).
 * The sizes are kept small because every global array is mapped into the exporter and
 * counts in its resident memory; more namespaces are walked in batches (HostPass). */
#define NETSTAT_HOST_MAX_NS 1024
/* Rows of per-port counts (by state), shared by every namespace: row 0 is unused. */
#define NETSTAT_HOST_MAX_ROWS 8192
/* Listener records one walk returns. */
#define NETSTAT_HOST_MAX_LISTENERS 8192 /* tcp_host_chain.bpf.h masks with 8191 */
/* The open-addressing table (namespace, local port) -> row, and how far a lookup probes. */
#define NETSTAT_HOST_LPORT_BITS 14
#define NETSTAT_HOST_LPORT_TABLE (1 << NETSTAT_HOST_LPORT_BITS)
#define NETSTAT_HOST_LPORT_PROBES 16
/* UDP, UDP-Lite and raw socket records one walk returns (a power of two). */
#define NETSTAT_HOST_MAX_UDP 8192 /* udp_host.bpf.h masks with 8191 */

/* What one run does (input `phase`). */
#define NETSTAT_HOST_PHASE_NETS 0    /* the namespace list: which wanted ones exist, own hashes */
#define NETSTAT_HOST_PHASE_LISTEN 1  /* the shared listening hash, sliced */
#define NETSTAT_HOST_PHASE_EHASH 2   /* the host's established hash, sliced */
#define NETSTAT_HOST_PHASE_OWN 3     /* the established hash of namespace `target`, whole */
#define NETSTAT_HOST_PHASE_UDP 4     /* a UDP table (input udp_kind), sliced: udp_host.bpf.h */
#define NETSTAT_HOST_PHASE_UDP_OWN 5 /* the UDP table of namespace `target`, whole */

/* One TCP listener, as inet_diag reports it. */
struct netstat_host_listener {
  __u8 address[16]; /* network order; IPv4 in the first 4 bytes */
  __u64 inode;      /* sock_i_ino */
  __u32 ns;         /* index into the wanted namespaces */
  __u32 ack_backlog;
  __u32 max_ack_backlog;
  __u32 uid;
  __u32 bound_if;
  __u16 port;  /* host order */
  __u8 family; /* 0 ipv4, 1 ipv6 */
  __u8 pad;
};

/* Per wanted namespace, from PHASE_NETS and PHASE_OWN. */
struct netstat_host_ns {
  __u32 found;      /* seen in the kernel's list of namespaces */
  __u32 own_hash;   /* its established hash is not the host's */
  __u32 own_lhash;  /* its listening hash is not the host's: listeners not read */
  __u32 own_walked; /* PHASE_OWN walked its hash (to the end) */
  __u64 own_buckets;
  __u64 incomplete;         /* buckets of its own hash given up (unstable or too long) */
  __u32 own_udp;            /* its UDP table is not the host's (udp_child_hash_entries) */
  __u32 own_udp_walked;     /* PHASE_UDP_OWN walked that table (to the end) */
  __u64 own_udp_incomplete; /* slots of that table given up (unstable or too long) */
  __u32 unix_read;          /* PHASE_NETS read the heads of its unix socket table */
  __u32 unix_used;          /* and one of them held a socket */
};

/* The tables PHASE_UDP reads (input udp_kind) and the record kinds they give. */
#define NETSTAT_HOST_UDP 0
#define NETSTAT_HOST_UDPLITE 1
#define NETSTAT_HOST_RAW4 2 /* raw_v4_hashinfo: records of kind NETSTAT_HOST_RAW */
#define NETSTAT_HOST_RAW6 3 /* raw_v6_hashinfo: the same */
#define NETSTAT_HOST_RAW 2

/* One UDP, UDP-Lite or raw socket, as udp_diag (or /proc/net/raw) reports it. */
struct netstat_host_udp {
  __u8 local[16];  /* network order; IPv4 in the first 4 bytes */
  __u8 remote[16]; /* the same */
  __u64 inode;     /* sock_i_ino */
  __u32 ns;        /* index into the wanted namespaces */
  __u32 rqueue;    /* sk_rmem_alloc - forward_deficit (udp_rqueue_get); raw: sk_rmem_alloc */
  __u32 wqueue;    /* sk_wmem_alloc - 1 (sk_wmem_alloc_get) */
  __u32 uid;
  __u32 bound_if;
  __u16 local_port, remote_port; /* host order; raw: the protocol, 0 */
  __u8 family;                   /* 0 ipv4, 1 ipv6 */
  __u8 kind;                     /* NETSTAT_HOST_UDP, _UDPLITE or _RAW */
  __u8 state;                    /* skc_state: 1 connected, 7 unconnected */
  __u8 pad;
  __u32 pad2;
};

#endif /* NETSTAT_READERS_TCP_ITER_HOST_WALK_LAYOUT_H_ */
