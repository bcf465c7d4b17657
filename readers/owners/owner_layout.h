/* The records socket_fds.bpf.c writes to its iterator, shared by the BPF program and the
 * decoder (owner_decode.cc): fixed 32-byte records in the kernel's byte order. For each
 * thread-group leader holding sockets, one task record (fd -1) comes before its socket
 * fd records. Plain C with kernel integer types so that both sides include it. */
#ifndef NETSTAT_READERS_OWNERS_OWNER_LAYOUT_H_
#define NETSTAT_READERS_OWNERS_OWNER_LAYOUT_H_

#define NETSTAT_OWNER_TASK_RECORD (-1)
#define NETSTAT_OWNER_COMM_LEN 16

struct netstat_owner_record {
  __u32 tgid; /* the process as numbered in the initial pid namespace */
  __s32 fd;   /* >= 0: a socket fd; NETSTAT_OWNER_TASK_RECORD: the process itself */
  union {
    struct {
      __u64 inode;    /* the socket's inode, as /proc/PID/fd/FD -> socket:[INODE] */
      __u16 family;   /* sk->sk_family (AF_*), 0 without a struct sock */
      __u16 protocol; /* sk->sk_protocol */
      __u16 type;     /* sock->type (SOCK_STREAM, SOCK_DGRAM, ...) */
      __u8 state;     /* sk->sk_state */
      __u8 pad;
      __u32 netns; /* sk's network namespace (net->ns.inum: "net:[INODE]"), 0 without */
      __u32 pad2;
    } sock;
    struct {
      __u64 start_boottime; /* task->start_boottime, ns: /proc/PID/stat's starttime */
      char comm[NETSTAT_OWNER_COMM_LEN];
    } task;
  };
};

#endif /* NETSTAT_READERS_OWNERS_OWNER_LAYOUT_H_ */
