// Socket inode -> owner index for one collection: an open-addressing table of 8-byte
// slots (socket inodes come from get_next_ino(), an unsigned int), at most 80% full,
// rebuilt by each walk of /proc/*/fd: 10 to 20 bytes per socket, kept for the next
// walk. Wider inodes (only a fake tree has them) go to a small side map.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace netstat::process_sockets {

class InodeMap {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // Empties the map and sizes it for about `expected` entries.
  void Reset(size_t expected);
  // Adds inode -> owner unless the inode is there already (the lower pid, walked
  // first, keeps it). Returns true when added. Inode 0 is never stored.
  bool Insert(uint64_t inode, uint32_t owner);
  // The owner of `inode`, or kNone.
  uint32_t Find(uint64_t inode) const;
  size_t size() const { return size_; }
  size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  struct Slot {
    uint32_t inode = 0;  // 0: empty
    uint32_t owner = 0;
  };
  void Grow();
  size_t Home(uint32_t inode) const {
    return (inode * 0x9E3779B1u) & (slots_.size() - 1);  // Fibonacci hashing
  }

  std::vector<Slot> slots_;  // a power of two, at most 80% full
  size_t size_ = 0;
  std::unordered_map<uint64_t, uint32_t> wide_;
};

}  // namespace netstat::process_sockets
