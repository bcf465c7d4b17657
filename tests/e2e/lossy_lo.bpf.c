// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A test's loss on loopback, at tc ingress (a drop there is a real loss that TCP detects
 * and retransmits; netem is not in this kernel). Drops every `data_every`-th IPv4 TCP
 * segment with payload whose source port is `data_port` (the server's data, so that the
 * server retransmits) and every odd SYN to `syn_port` (each connect then waits for its
 * SYN to be sent again, about 1 s later). Counts what it dropped in `dropped`. */
/* clang-format off */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
/* clang-format on */

#define ETH_P_IP 0x0800
#define IPPROTO_TCP 6
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u16 data_port = 0;
const volatile __u32 data_every = 10;
const volatile __u16 syn_port = 0;

__u64 data_seen, syns_seen, dropped;

SEC("tc")
int lossy(struct __sk_buff* skb) {
  void* data = (void*)(long)skb->data;
  void* end = (void*)(long)skb->data_end;
  struct ethhdr* eth = data;
  struct iphdr* ip;
  struct tcphdr* tcp;
  __u32 ip_len, payload;

  if ((void*)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP)) return TC_ACT_OK;
  ip = (void*)(eth + 1);
  if ((void*)(ip + 1) > end || ip->protocol != IPPROTO_TCP) return TC_ACT_OK;
  ip_len = ip->ihl * 4;
  if (ip_len < sizeof(*ip)) return TC_ACT_OK;
  tcp = (void*)ip + ip_len;
  if ((void*)(tcp + 1) > end) return TC_ACT_OK;
  payload = bpf_ntohs(ip->tot_len) - ip_len - tcp->doff * 4;
  if (data_port && tcp->source == bpf_htons(data_port) && payload > 0 && payload < 65536) {
    if (__sync_fetch_and_add(&data_seen, 1) % data_every == data_every - 1) {
      __sync_fetch_and_add(&dropped, 1);
      return TC_ACT_SHOT;
    }
  }
  if (syn_port && tcp->dest == bpf_htons(syn_port) && tcp->syn && !tcp->ack) {
    if (__sync_fetch_and_add(&syns_seen, 1) % 2 == 0) {
      __sync_fetch_and_add(&dropped, 1);
      return TC_ACT_SHOT;
    }
  }
  return TC_ACT_OK;
}
