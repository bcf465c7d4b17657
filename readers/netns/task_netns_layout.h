/* The records task_netns.bpf.c writes to its iterator, shared by the BPF program and its
 * loader (task_netns.cc): fixed 24-byte records in the kernel's byte order, one per
 * thread-group leader. Plain C with kernel integer types so that both sides include it. */
#ifndef NETSTAT_READERS_NETNS_TASK_NETNS_LAYOUT_H_
#define NETSTAT_READERS_NETNS_TASK_NETNS_LAYOUT_H_

struct netstat_task_netns {
  __u32 tgid;           /* the process, as numbered in the initial pid namespace */
  __u32 euid;           /* its effective uid (cred->euid), in the initial user namespace */
  __u64 start_boottime; /* task->start_boottime, ns: tells a reused pid apart */
  __u32 netns;          /* nsproxy->net_ns->ns.inum ("net:[INODE]"); 0: exiting, none */
  __u32 pad;
};

#endif /* NETSTAT_READERS_NETNS_TASK_NETNS_LAYOUT_H_ */
