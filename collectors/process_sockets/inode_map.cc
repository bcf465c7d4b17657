#include "collectors/process_sockets/inode_map.h"

#include <algorithm>

namespace netstat::process_sockets {
namespace {
constexpr size_t kMinSlots = 1024;
}  // namespace

void InodeMap::Reset(size_t expected) {
  size_t want = kMinSlots;
  while (want * 8 / 10 < expected) want *= 2;
  // Keep the allocation unless it is far larger than needed (a host that shed most of
  // its sockets gives the memory back).
  if (slots_.size() < want || slots_.size() > want * 8) {
    std::vector<Slot>(want).swap(slots_);
  } else {
    std::fill(slots_.begin(), slots_.end(), Slot{});
  }
  size_ = 0;
  wide_.clear();
}

bool InodeMap::Insert(uint64_t inode, uint32_t owner) {
  if (inode == 0) return false;
  if (inode > UINT32_MAX) return wide_.try_emplace(inode, owner).second;
  if (slots_.empty() || (size_ + 1) * 10 > slots_.size() * 8) Grow();
  const auto key = static_cast<uint32_t>(inode);
  const size_t mask = slots_.size() - 1;
  for (size_t i = Home(key);; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.inode == key) return false;
    if (s.inode == 0) {
      s = Slot{key, owner};
      ++size_;
      return true;
    }
  }
}

uint32_t InodeMap::Find(uint64_t inode) const {
  if (inode == 0 || slots_.empty()) return kNone;
  if (inode > UINT32_MAX) {
    auto it = wide_.find(inode);
    return it == wide_.end() ? kNone : it->second;
  }
  const auto key = static_cast<uint32_t>(inode);
  const size_t mask = slots_.size() - 1;
  for (size_t i = Home(key);; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.inode == key) return s.owner;
    if (s.inode == 0) return kNone;
  }
}

void InodeMap::Grow() {
  std::vector<Slot> old(std::max(kMinSlots, slots_.size() * 2));
  old.swap(slots_);
  size_ = 0;
  for (const Slot& s : old) {
    if (s.inode != 0) Insert(s.inode, s.owner);
  }
}

}  // namespace netstat::process_sockets
