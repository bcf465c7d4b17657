#include "collectors/process_sockets/process_tally.h"

#include <algorithm>
#include <map>
#include <unordered_map>

namespace netstat::process_sockets {
namespace {
namespace st = socket_table;
constexpr uint8_t kUnixStates[] = {st::kListen, st::kEstablished, st::kClose};
}  // namespace

size_t InetSlot(st::Protocol p, st::Family f, uint8_t state) {
  if (p == st::Protocol::kUnix || f == st::Family::kUnix || state > st::kNewSynRecv) {
    return kNoSlot;
  }
  return (static_cast<size_t>(p) * 2 + static_cast<size_t>(f)) * 13 + state;
}

size_t UnixSlot(uint8_t state) {
  for (size_t i = 0; i < std::size(kUnixStates); ++i) {
    if (kUnixStates[i] == state) return kInetSlots + i;
  }
  return kNoSlot;
}

SlotLabels LabelsOf(size_t slot) {
  if (slot >= kInetSlots) {
    const uint8_t s = kUnixStates[slot - kInetSlots];
    return {"unix", "unix", st::StateName(st::Protocol::kUnix, s)};
  }
  const auto p = static_cast<st::Protocol>(slot / 26);
  const auto f = static_cast<st::Family>(slot / 13 % 2);
  return {st::ProtocolName(p), st::FamilyName(f),
          st::StateName(p, static_cast<uint8_t>(slot % 13))};
}

void NamespaceTally::Begin(size_t owners) {
  index_.assign(owners, kUnowned);
  touched_.clear();
  counts_.clear();
  unowned_.fill(0);
  saved_touched_ = 0;
  saved_counts_.clear();
  saved_unowned_.fill(0);
}

void NamespaceTally::Add(uint32_t owner, size_t slot, uint32_t sockets) {
  if (slot >= kSlots) return;
  if (owner >= index_.size()) {
    unowned_[slot] += sockets;
    return;
  }
  uint32_t& i = index_[owner];
  if (i == kUnowned) {
    i = static_cast<uint32_t>(counts_.size());
    touched_.push_back(owner);
    counts_.emplace_back();
  }
  counts_[i][slot] += sockets;
}

void NamespaceTally::Save() {
  saved_touched_ = touched_.size();
  saved_counts_ = counts_;
  saved_unowned_ = unowned_;
}

void NamespaceTally::Restore() {
  for (size_t k = saved_touched_; k < touched_.size(); ++k) index_[touched_[k]] = kUnowned;
  touched_.resize(saved_touched_);
  counts_ = saved_counts_;
  unowned_ = saved_unowned_;
}

void NamespaceTally::Fold(const std::function<uint32_t(uint32_t)>& group_of,
                          const std::function<bool(uint32_t)>& trusted,
                          std::vector<std::pair<uint32_t, Counts>>* groups, Counts* unowned) const {
  std::unordered_map<uint32_t, size_t> where;  // group -> index into *groups
  *unowned = unowned_;
  for (size_t k = 0; k < touched_.size(); ++k) {
    const uint32_t owner = touched_[k];
    const auto& c = counts_[k];
    Counts* into = unowned;
    if (trusted(owner)) {
      auto [it, fresh] = where.try_emplace(group_of(owner), groups->size());
      if (fresh) groups->emplace_back(it->first, Counts{});
      into = &(*groups)[it->second].second;
    }
    for (size_t s = 0; s < kSlots; ++s) (*into)[s] += c[s];
  }
}

size_t CapRows(std::vector<Row>* rows, size_t max, std::vector<std::pair<size_t, Counts>>* other) {
  for (Row& r : *rows) {
    r.total = 0;
    for (uint64_t n : r.counts) r.total += n;
  }
  if (rows->size() <= max) return 0;
  std::sort(rows->begin(), rows->end(), [](const Row& a, const Row& b) {
    if (a.total != b.total) return a.total > b.total;
    if (a.group != b.group) return a.group < b.group;
    return a.ns < b.ns;
  });
  std::map<size_t, Counts> by_ns;
  for (size_t i = max; i < rows->size(); ++i) {
    Counts& c = by_ns[(*rows)[i].ns];
    for (size_t s = 0; s < kSlots; ++s) c[s] += (*rows)[i].counts[s];
  }
  const size_t folded = rows->size() - max;
  rows->resize(max);
  for (auto& [ns, c] : by_ns) other->emplace_back(ns, c);
  return folded;
}

}  // namespace netstat::process_sockets
