// SPDX-License-Identifier: GPL-2.0
/* Every socket file descriptor of the host, in one read of an iterator fd: an
 * iter/task_file program, called for each open file of each task, that writes a
 * fixed-size record (owner_layout.h) for each socket, so that user space needs no
 * statx of /proc/PID/fd/FD per descriptor.
 *
 *   - a socket is what the kernel itself calls one: bpf_sock_from_file() returns the
 *     struct socket only for files whose f_op is socket_file_ops (an O_PATH fd of a unix
 *     socket's path has an S_IFSOCK inode but is no socket: not reported);
 *   - only thread-group leaders are read: /proc/PID/fd shows the leader's table, and the
 *     threads share it (the iterator skips a thread whose table is its leader's; one
 *     that unshared its table is skipped here, as /proc/PID/fd does not list it either);
 *   - pids are task->tgid, the number in the initial pid namespace; the iterator visits
 *     the tasks of the reader's pid namespace, so the reader must be in the initial one
 *     (reader_tgid lets user space check that its procfs numbers pids the same way).
 *
 * Before the first socket of a process, a task record gives its start time and comm,
 * taken when its fds are listed. A record that does not fit the read's buffer makes the
 * kernel call the program again for the same fd on the next read: last_tgid only moves
 * once both records are written, so the task record is written again with it. */
/* vmlinux.h first: it defines the kernel types every other header uses */
// clang-format off
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "readers/owners/owner_layout.h"
// clang-format on

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before each read: whether to fill family, protocol, type, state and
 * network namespace (reading struct socket and struct sock costs a cache miss or two per
 * socket: process_sockets wants them when it takes TCP counted in the kernel). */
__u32 want_kind;
/* Zeroed by user space before each read. */
__u32 last_tgid;   /* the process whose task record was written last */
__u32 reader_tgid; /* the process reading the iterator, as numbered in the initial ns */
__u64 files;       /* files looked at (an fd shown again after a full buffer counts twice) */
__u64 processes;   /* task records written */

SEC("iter/task_file")
int socket_fds(struct bpf_iter__task_file* ctx) {
  struct seq_file* seq = ctx->meta->seq;
  struct task_struct* task = ctx->task;
  struct file* file = ctx->file;
  struct netstat_owner_record rec = {};
  struct socket* sock;
  struct sock* sk;
  __u32 tgid;

  if (!task || !file) return 0; /* the end of the walk */
  reader_tgid = bpf_get_current_pid_tgid() >> 32;
  files += 1;
  tgid = task->tgid;
  if (task->pid != tgid) return 0; /* a thread with a table of its own */
  sock = bpf_sock_from_file(file);
  if (!sock) return 0;

  if (tgid != last_tgid) {
    rec.tgid = tgid;
    rec.fd = NETSTAT_OWNER_TASK_RECORD;
    rec.task.start_boottime = task->start_boottime;
    bpf_probe_read_kernel(rec.task.comm, sizeof rec.task.comm, task->comm);
    if (bpf_seq_write(seq, &rec, sizeof rec) != 0) return 0;
    __builtin_memset(&rec, 0, sizeof rec);
  }
  rec.tgid = tgid;
  rec.fd = (__s32)ctx->fd;
  rec.sock.inode = file->f_inode->i_ino;
  if (want_kind) {
    rec.sock.type = (__u16)sock->type;
    sk = sock->sk;
    if (sk) {
      rec.sock.family = sk->__sk_common.skc_family;
      rec.sock.protocol = sk->sk_protocol;
      rec.sock.state = sk->__sk_common.skc_state;
      rec.sock.netns = sk->__sk_common.skc_net.net->ns.inum;
    }
  }
  if (bpf_seq_write(seq, &rec, sizeof rec) != 0) return 0;
  if (tgid != last_tgid) {
    last_tgid = tgid;
    processes += 1;
  }
  return 0;
}
