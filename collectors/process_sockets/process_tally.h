// Counting one namespace's sockets by owner as a dump hands them over, then folding the
// owners into their label groups, and capping the groups: all pure, no I/O.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "readers/socket_table/socket_table.h"

namespace netstat::process_sockets {

// A slot per (inet protocol, family, state code 0..12), then the three unix states.
constexpr size_t kInetSlots = 4 * 2 * 13;
constexpr size_t kSlots = kInetSlots + 3;
constexpr size_t kNoSlot = SIZE_MAX;
using Counts = std::array<uint64_t, kSlots>;

// The slot of an inet socket, or kNoSlot for a state code beyond 12.
size_t InetSlot(socket_table::Protocol p, socket_table::Family f, uint8_t state);
// The slot of a unix socket in kListen, kEstablished or kClose, else kNoSlot.
size_t UnixSlot(uint8_t state);
// The labels of a slot: protocol, family, state as SPEC names them (state nullptr for a
// code with no name).
struct SlotLabels {
  const char* protocol;
  const char* family;
  const char* state;
};
SlotLabels LabelsOf(size_t slot);

// One namespace's counts per owner (an index the caller gives; kUnowned for a socket
// no process holds), with Save/Restore around each dump.
class NamespaceTally {
 public:
  static constexpr uint32_t kUnowned = UINT32_MAX;

  void Begin(size_t owners);  // owners: indexes given to Add are below this
  void Add(uint32_t owner, size_t slot, uint32_t sockets = 1);
  void Save();
  void Restore();  // drops what was added since Save

  // The counts per group: each owner's counts go to group_of(owner) when
  // trusted(owner), else to unowned. `groups` gets (group, counts) pairs, one per
  // group with sockets, in first-seen order; `unowned` the rest.
  void Fold(const std::function<uint32_t(uint32_t)>& group_of,
            const std::function<bool(uint32_t)>& trusted,
            std::vector<std::pair<uint32_t, Counts>>* groups, Counts* unowned) const;

 private:
  std::vector<uint32_t> index_;  // owner -> index into counts_, or kUnowned
  std::vector<uint32_t> touched_;
  std::vector<std::array<uint32_t, kSlots>> counts_;  // by order of first touch
  std::array<uint64_t, kSlots> unowned_{};

  size_t saved_touched_ = 0;
  std::vector<std::array<uint32_t, kSlots>> saved_counts_;
  std::array<uint64_t, kSlots> saved_unowned_{};
};

// One (namespace, group) row of a run, before the cap.
struct Row {
  size_t ns = 0;       // index of the namespace in the run
  uint32_t group = 0;  // index into the run's groups
  Counts counts{};
  uint64_t total = 0;
};

// Keeps the `max` rows with the most sockets (ties: the lower group index, then
// namespace); the rest are summed per namespace into `other` (ns -> counts, in
// namespace order). Returns how many rows were folded.
size_t CapRows(std::vector<Row>* rows, size_t max, std::vector<std::pair<size_t, Counts>>* other);

}  // namespace netstat::process_sockets
