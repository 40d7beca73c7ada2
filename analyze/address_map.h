#pragma once
// An open-addressing hash map from 64-bit keys to small values, for the live
// set: millions of inserts and erases per second with no allocation per
// entry. Linear probing with backward-shift deletion (no tombstones, so heavy
// churn does not degrade it). Every 64-bit key is valid: the table marks its
// empty slots with key 0, so key 0 itself lives in a slot of its own beside the
// table (keys come from captures and targets, and any value can arrive; a key 0
// taken for "empty" once made every insert look new and the table doubled
// every few events - issue 14, finding 4).
// Not thread-safe.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace leakspy::analyze {

template <typename Value>
class AddressMap {
 public:
  explicit AddressMap(size_t initial_capacity = 1 << 16) { rehash(round_up(initial_capacity)); }

  size_t size() const { return size_ + (has_zero_ ? 1 : 0); }
  // Bytes the table holds, for read budgets (read_budget.h); when `inserts`
  // more keys would make it grow, the old and the doubled table together,
  // as they are while it rehashes.
  size_t memory_bytes(size_t inserts = 0) const {
    size_t now = keys_.capacity() * sizeof(uint64_t) + values_.capacity() * sizeof(Value);
    return (size_ + inserts) * 10 > capacity() * 7 ? 3 * now : now;
  }

  Value* find(uint64_t key) {
    if (key == 0) return has_zero_ ? &zero_value_ : nullptr;
    for (size_t i = slot_of(key);; i = (i + 1) & mask_) {
      if (keys_[i] == key) return &values_[i];
      if (keys_[i] == 0) return nullptr;
    }
  }
  const Value* find(uint64_t key) const { return const_cast<AddressMap*>(this)->find(key); }

  // Inserts or overwrites. Returns true if the key was new.
  bool insert(uint64_t key, const Value& value, Value* previous = nullptr) {
    if (key == 0) {
      bool is_new = !has_zero_;
      if (!is_new && previous != nullptr) *previous = zero_value_;
      zero_value_ = value;
      has_zero_ = true;
      return is_new;
    }
    if ((size_ + 1) * 10 > capacity() * 7) rehash(capacity() * 2);
    for (size_t i = slot_of(key);; i = (i + 1) & mask_) {
      if (keys_[i] == key) {
        if (previous != nullptr) *previous = values_[i];
        values_[i] = value;
        return false;
      }
      if (keys_[i] == 0) {
        keys_[i] = key;
        values_[i] = value;
        ++size_;
        return true;
      }
    }
  }

  // Removes the key; returns false if it was absent.
  bool erase(uint64_t key, Value* removed = nullptr) {
    if (key == 0) {
      if (!has_zero_) return false;
      if (removed != nullptr) *removed = zero_value_;
      has_zero_ = false;
      return true;
    }
    size_t i = slot_of(key);
    for (;; i = (i + 1) & mask_) {
      if (keys_[i] == key) break;
      if (keys_[i] == 0) return false;
    }
    if (removed != nullptr) *removed = values_[i];
    // Backward shift: pull later entries of the probe run into the hole.
    for (size_t hole = i, j = (i + 1) & mask_;; j = (j + 1) & mask_) {
      if (keys_[j] == 0) {
        keys_[hole] = 0;
        break;
      }
      size_t home = slot_of(keys_[j]);
      bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
      if (movable) {
        keys_[hole] = keys_[j];
        values_[hole] = values_[j];
        hole = j;
      }
    }
    --size_;
    return true;
  }

  template <typename Visit>
  void for_each(Visit&& visit) const {
    if (has_zero_) visit(uint64_t{0}, zero_value_);
    for (size_t i = 0; i < keys_.size(); ++i) {
      if (keys_[i] != 0) visit(keys_[i], values_[i]);
    }
  }

  void clear() {
    std::fill(keys_.begin(), keys_.end(), 0);
    size_ = 0;
    has_zero_ = false;
  }

 private:
  static size_t round_up(size_t n) {
    size_t capacity = 16;
    while (capacity < n) capacity *= 2;
    return capacity;
  }
  size_t capacity() const { return keys_.size(); }  // of the table, without key 0's slot
  size_t slot_of(uint64_t key) const {
    key ^= key >> 31;
    key *= 0x7fb5d329728ea185ull;
    key ^= key >> 27;
    return static_cast<size_t>(key) & mask_;
  }
  void rehash(size_t new_capacity) {
    std::vector<uint64_t> old_keys(new_capacity, 0);
    std::vector<Value> old_values(new_capacity);
    old_keys.swap(keys_);
    old_values.swap(values_);
    mask_ = new_capacity - 1;
    size_ = 0;
    for (size_t i = 0; i < old_keys.size(); ++i) {
      if (old_keys[i] != 0) insert(old_keys[i], old_values[i]);
    }
  }

  std::vector<uint64_t> keys_;
  std::vector<Value> values_;
  size_t mask_ = 0;
  size_t size_ = 0;  // keys in the table (key 0 is not among them)
  bool has_zero_ = false;
  Value zero_value_{};
};

}  // namespace leakspy::analyze
