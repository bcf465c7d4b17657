/* For BPF programs given the namespaces they want as an ascending array of inodes: the
 * index of one inode in it. Included by the program's one translation unit after its
 * globals, which this uses: ns_inodes (MAX_NS entries, a power of two) and ns_count. */
#ifndef NETSTAT_READERS_BPF_SUPPORT_INODE_SEARCH_BPF_H_
#define NETSTAT_READERS_BPF_SUPPORT_INODE_SEARCH_BPF_H_

struct inode_search {
  __u32 lo, hi, inum;
  int found;
};

/* One halving of a binary search per bpf_loop step: the verifier would follow every
 * value of lo and hi of an open-coded loop. */
static int inode_search_step(__u32 i, struct inode_search* s) {
  __u32 mid, v;
  if (s->lo >= s->hi) return 1;
  mid = (s->lo + s->hi) / 2;
  v = ns_inodes[mid & (MAX_NS - 1)];
  if (v == s->inum) {
    s->found = mid & (MAX_NS - 1);
    return 1;
  }
  if (v < s->inum)
    s->lo = mid + 1;
  else
    s->hi = mid;
  return 0;
}

/* The index of `inum` among the first ns_count of ns_inodes, or -1. */
static __always_inline int inode_index(__u32 inum) {
  struct inode_search s = {.lo = 0, .hi = ns_count, .inum = inum, .found = -1};
  if (s.hi > MAX_NS) s.hi = MAX_NS;
  bpf_loop(14, inode_search_step, &s, 0); /* 2^14 > MAX_NS */
  return s.found;
}

#endif /* NETSTAT_READERS_BPF_SUPPORT_INODE_SEARCH_BPF_H_ */
