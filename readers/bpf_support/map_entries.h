// Every entry of a BPF hash map, read from user space: what the loaders that keep counts
// in the kernel (listen_trace, tcp_health) do at each scrape. Include only where
// NETSTAT_HAVE_BPF is 1: it needs libbpf.
#pragma once

#include <bpf/libbpf.h>

namespace netstat::bpf_support {

// Calls fn(key, value) for each entry of `map`. The map may change meanwhile: a key that
// is gone by its lookup is skipped, and get_next_key from a deleted key starts over at
// the first, so a bounded map is never walked forever, at worst twice.
template <typename Key, typename Value, typename Fn>
void ForEachEntry(const bpf_map* map, Fn&& fn) {
  Key key{}, next{};
  const void* prev = nullptr;
  while (bpf_map__get_next_key(map, prev, &next, sizeof next) == 0) {
    Value value{};
    if (bpf_map__lookup_elem(map, &next, sizeof next, &value, sizeof value, 0) == 0) {
      fn(next, value);
    }
    key = next;
    prev = &key;
  }
}

}  // namespace netstat::bpf_support
