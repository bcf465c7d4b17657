// SPDX-License-Identifier: GPL-2.0
/* Every process of the host with its network namespace, in one read of an iterator fd:
 * an iter/task program that writes a record (task_netns_layout.h) per thread-group
 * leader, so that finding the namespaces of the host needs no readlink of
 * /proc/PID/ns/net per process (netns/discovery.h).
 *
 *   - only leaders: /proc/PID/ns/net is the leader's namespace, whatever its threads
 *     entered with setns;
 *   - a leader without nsproxy (exiting: its /proc/PID/ns/net cannot be read either) is
 *     written with netns 0;
 *   - pids are task->tgid, the number in the initial pid namespace; the iterator visits
 *     the tasks of the reader's pid namespace, so the reader must be in the initial one
 *     (reader_tgid lets user space check that its procfs numbers pids the same way). */
/* vmlinux.h first: it defines the kernel types every other header uses */
// clang-format off
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "readers/netns/task_netns_layout.h"
// clang-format on

char LICENSE[] SEC("license") = "GPL";

/* Zeroed by user space before each read. */
__u32 reader_tgid; /* the process reading the iterator, as numbered in the initial ns */

SEC("iter/task")
int task_netns(struct bpf_iter__task* ctx) {
  struct seq_file* seq = ctx->meta->seq;
  struct task_struct* task = ctx->task;
  struct netstat_task_netns rec = {};
  struct nsproxy* nsproxy;

  if (!task) return 0; /* the end of the walk */
  reader_tgid = bpf_get_current_pid_tgid() >> 32;
  if (task->pid != task->tgid) return 0; /* a thread */
  rec.tgid = task->tgid;
  rec.euid = task->cred->euid.val;
  rec.start_boottime = task->start_boottime;
  nsproxy = task->nsproxy;
  if (nsproxy && nsproxy->net_ns) rec.netns = nsproxy->net_ns->ns.inum;
  bpf_seq_write(seq, &rec, sizeof rec);
  return 0;
}
