/* The memory shared by net_mib.bpf.c and its user side (net_mib.cc): sizes and the
 * MIB kinds. C, for both compilers. */
#ifndef NETSTAT_READERS_NET_MIB_NET_MIB_LAYOUT_H_
#define NETSTAT_READERS_NET_MIB_NET_MIB_LAYOUT_H_

/* Wanted namespaces in one run (a power of two: the program masks indices with it); more
 * are read in batches. Only the rows of the wanted ones are touched, so the arrays cost
 * resident memory for what is read, not for their size. */
#define NETSTAT_MIB_MAX_NS 1024
/* Fields read in one run (a power of two). */
#define NETSTAT_MIB_MAX_FIELDS 64
/* Possible CPUs the program sums over (a power of two). */
#define NETSTAT_MIB_MAX_CPUS 4096
/* The largest index into one MIB (__LINUX_MIB_MAX is ~140 on 6.x). */
#define NETSTAT_MIB_MAX_INDEX 1024

/* The per-CPU counter arrays of struct net (net->mib) the program reads: each is an array
 * of unsigned long per CPU, indexed by the kernel's enumerators, which is how the kernel
 * itself sums them for /proc/net/snmp and /proc/net/netstat (snmp_fold_field). */
#define NETSTAT_MIB_TCP 0     /* tcp_statistics: TCP_MIB_*, the Tcp group */
#define NETSTAT_MIB_UDP 1     /* udp_statistics: UDP_MIB_*, the Udp group (IPv4) */
#define NETSTAT_MIB_UDPLITE 2 /* udplite_statistics: UDP_MIB_*, the UdpLite group */
#define NETSTAT_MIB_LINUX 3   /* net_statistics: LINUX_MIB_*, the TcpExt group */
#define NETSTAT_MIB_KINDS 4

/* found[i], per wanted namespace. */
#define NETSTAT_MIB_NOT_FOUND 0
#define NETSTAT_MIB_READ 1
#define NETSTAT_MIB_FAILED 2 /* found, but a counter could not be read */

#endif /* NETSTAT_READERS_NET_MIB_NET_MIB_LAYOUT_H_ */
