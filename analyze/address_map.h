#pragma once
// An open-addressing hash map from 64-bit keys to small values, for the live
// set: millions of inserts and erases per second with no allocation per
// entry. Linear probing with backward-shift deletion (no tombstones, so heavy
// churn does not degrade it). Key 0 is reserved as "empty".
// Not thread-safe.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace leakspy::analyze {

template <typename Value>
class AddressMap {
 public:
  explicit AddressMap(size_t initial_capacity = 1 << 16) { rehash(round_up(initial_capacity)); }

  size_t size() const { return size_; }

  Value* find(uint64_t key) {
    for (size_t i = slot_of(key);; i = (i + 1) & mask_) {
      if (keys_[i] == key) return &values_[i];
      if (keys_[i] == 0) return nullptr;
    }
  }
  const Value* find(uint64_t key) const { return const_cast<AddressMap*>(this)->find(key); }

  // Inserts or overwrites. Returns true if the key was new.
  bool insert(uint64_t key, const Value& value, Value* previous = nullptr) {
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
    for (size_t i = 0; i < keys_.size(); ++i) {
      if (keys_[i] != 0) visit(keys_[i], values_[i]);
    }
  }

  void clear() {
    std::fill(keys_.begin(), keys_.end(), 0);
    size_ = 0;
  }

 private:
  static size_t round_up(size_t n) {
    size_t capacity = 16;
    while (capacity < n) capacity *= 2;
    return capacity;
  }
  size_t capacity() const { return keys_.size(); }
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
  size_t size_ = 0;
};

}  // namespace leakspy::analyze
