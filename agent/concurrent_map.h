#pragma once
// An insert-only hash map from non-zero 64-bit keys to 64-bit values on a
// fixed mmap'd array: lock-free, never rehashed, never allocating after init.
// A key and its value are published together by one 16-byte compare-and-swap
// (a locked cmpxchg16b, a full barrier), so a reader that sees the key also
// sees its value (x86 does not reorder loads with loads).
// When three-quarters full, inserts are refused; lookups keep working.
//
// Where a key's probe starts is the caller's choice (`home`): a random start
// touches every page of the array once there are more keys than pages, and
// the array's whole size becomes resident memory in the target. Callers with
// keys that arrive in order (tree nodes, code addresses) start them near
// each other, so the array fills from the front.

#include <atomic>
#include <cstdint>

#include "agent/agent_memory.h"

namespace leakspy::agent {

class ConcurrentMap {
 public:
  // Maps 2^log2_slots slots. False on failure. Not thread-safe; call once.
  [[nodiscard]] bool init(uint32_t log2_slots) {
    if (slots_ != nullptr) return true;
    mask_ = (uint64_t{1} << log2_slots) - 1;
    slots_ = static_cast<Slot*>(map_pages(sizeof(Slot) << log2_slots));
    return slots_ != nullptr;
  }

  // The value for `key`, or false when absent. `home`: where its probe starts.
  bool find(uint64_t key, uint64_t* value) const { return find(key, value, mix(key)); }
  bool find(uint64_t key, uint64_t* value, uint64_t home) const {
    for (uint64_t i = home & mask_;; i = (i + 1) & mask_) {
      uint64_t found = __atomic_load_n(&slots_[i].key, __ATOMIC_ACQUIRE);
      if (found == key) {
        *value = __atomic_load_n(&slots_[i].value, __ATOMIC_ACQUIRE);
        return true;
      }
      if (found == 0) return false;
    }
  }

  // Inserts unless present (then the first value stays). False when full.
  bool insert(uint64_t key, uint64_t value) { return insert(key, value, mix(key)); }
  bool insert(uint64_t key, uint64_t value, uint64_t home) {
    if (used_.fetch_add(1, std::memory_order_relaxed) >= (mask_ + 1) / 4 * 3) return false;
    unsigned __int128 desired = (static_cast<unsigned __int128>(value) << 64) | key;
    for (uint64_t i = home & mask_;; i = (i + 1) & mask_) {
      if (__sync_bool_compare_and_swap(reinterpret_cast<unsigned __int128*>(&slots_[i]),
                                       static_cast<unsigned __int128>(0), desired)) {
        return true;
      }
      if (__atomic_load_n(&slots_[i].key, __ATOMIC_ACQUIRE) == key) return true;
    }
  }

 private:
  struct alignas(16) Slot {
    uint64_t key;
    uint64_t value;
  };
  static uint64_t mix(uint64_t key) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    return key;
  }

  Slot* slots_ = nullptr;
  uint64_t mask_ = 0;
  std::atomic<uint64_t> used_{0};
};

}  // namespace leakspy::agent
