#pragma once
// What is allocated right now: every live block with its size, stack and time
// of allocation, per heap. One implementation of the rules every consumer
// needs - the recorder (counters, merge decisions) and every report:
//   - a release of an unknown address is counted, not an error (allocations
//     before the start of recording are unknown);
//   - an allocation over a live address means its free was missed: the old
//     block is dropped and counted as an implicit free;
//   - range heaps (mmap) release address ranges, possibly parts of a block.
// Every (heap, address) is its own key and every size is accepted: the events
// come from captures and targets leakspy does not trust. Byte counts are
// unsigned and wrap, never overflow: a block's bytes are added once and
// subtracted once, so each heap's count stays exact whatever the sizes.
// Not thread-safe.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "analyze/address_map.h"
#include "capture/records.h"

namespace leakspy::analyze {

struct LiveBlock {
  uint64_t size = 0;
  StackId stack;
  uint64_t time = 0;  // capture time units when allocated
};

// Told about every change, so reports can keep per-stack totals in step.
// Override what you need.
struct LiveSetObserver {
  void on_allocated(HeapId, uint64_t /*address*/, const LiveBlock&) {}
  // `block.size` is the number of bytes released (part of a block for ranges).
  void on_released(HeapId, uint64_t /*address*/, const LiveBlock&) {}
  void on_unknown_release(HeapId, uint64_t /*address*/) {}
  // An allocation landed on a live address: `block` is dropped as if freed.
  void on_implicit_free(HeapId, uint64_t /*address*/, const LiveBlock&) {}
};

class LiveSet {
 public:
  LiveSet();

  // Applies one event at `time`. The observer hears what changed.
  template <typename Observer>
  void apply(const capture::EventRecord& event, uint64_t time, Observer& observer);
  void apply(const capture::EventRecord& event, uint64_t time) {
    LiveSetObserver ignore;
    apply(event, time, ignore);
  }

  static constexpr uint32_t kMaxHeaps = capture::kMaxHeaps;

  bool is_live(HeapId heap, uint64_t address) const;
  uint64_t live_bytes(HeapId heap) const { return bytes_by_heap_[slot_of(heap)]; }
  uint64_t live_blocks() const;
  // About how many bytes the live blocks take here (tables and range trees),
  // counting the growth of any table that `inserts` more blocks would make grow.
  uint64_t memory_bytes(size_t inserts = 0) const;
  // (heap, live bytes) for every heap that has had an allocation.
  std::vector<std::pair<HeapId, uint64_t>> live_bytes_by_heap() const;
  uint64_t unknown_releases() const { return unknown_releases_; }
  uint64_t implicit_frees() const { return implicit_frees_; }

  // Visits every live block: visit(heap, address, block).
  template <typename Visit>
  void for_each(Visit&& visit) const;

  // Heaps that release ranges (capture::kHeapFlagRanges). mmap is one from the start.
  void set_range_heap(HeapId heap, bool ranges) { range_heaps_[slot_of(heap)] = ranges; }
  bool is_range_heap(HeapId heap) const { return range_heaps_[slot_of(heap)]; }

 private:
  using BlockMap = AddressMap<LiveBlock>;          // address -> block
  using RangeMap = std::map<uint64_t, LiveBlock>;  // start -> block, non-overlapping

  static uint32_t slot_of(HeapId heap) { return heap.value() % kMaxHeaps; }
  // The heap's blocks; made on its first allocation (most heaps never have one).
  BlockMap& blocks_for_allocation(HeapId heap);
  BlockMap* blocks_of(HeapId heap) const { return blocks_[slot_of(heap)].get(); }
  // Releases whatever part of [address, address + size) is live. Returns
  // whether anything was.
  template <typename Observer>
  bool release_range(HeapId heap, uint64_t address, uint64_t size, Observer& observer);
  void add_bytes(HeapId heap, uint64_t bytes) {
    bytes_by_heap_[slot_of(heap)] += bytes;
    heap_used_[slot_of(heap)] = true;
  }
  void subtract_bytes(HeapId heap, uint64_t bytes) { bytes_by_heap_[slot_of(heap)] -= bytes; }
  // The end of [start, start + size), or the top of the address space when
  // the range would run past it (a bad munmap length, or a hostile one).
  static uint64_t range_end(uint64_t start, uint64_t size) {
    return size > UINT64_MAX - start ? UINT64_MAX : start + size;
  }

  // One table per heap, keyed by the address alone: a key that mixed the
  // heap into the address's top bits made different (heap, address) pairs
  // share a key.
  std::array<std::unique_ptr<BlockMap>, kMaxHeaps> blocks_;
  std::map<uint32_t, RangeMap> ranges_;  // per range heap
  std::array<uint64_t, kMaxHeaps> bytes_by_heap_{};
  std::array<bool, kMaxHeaps> heap_used_{};
  std::array<bool, kMaxHeaps> range_heaps_{};
  uint64_t unknown_releases_ = 0;
  uint64_t implicit_frees_ = 0;
};

template <typename Observer>
void LiveSet::apply(const capture::EventRecord& event, uint64_t time, Observer& observer) {
  using capture::EventKind;
  HeapId heap = event.heap;
  if (is_range_heap(heap)) {
    RangeMap& ranges = ranges_[slot_of(heap)];
    switch (event.kind) {
      case EventKind::Alloc:
      case EventKind::ReallocIn: {
        // A range that would run past the top of the address space ends there.
        uint64_t size = range_end(event.address, event.size) - event.address;
        release_range(heap, event.address, size, observer);  // MAP_FIXED replaces what was there
        LiveBlock block{size, event.stack, time};
        ranges.emplace(event.address, block);
        add_bytes(heap, size);
        observer.on_allocated(heap, event.address, block);
        return;
      }
      case EventKind::FreeRange:
        if (!release_range(heap, event.address, event.size, observer)) {
          ++unknown_releases_;
          observer.on_unknown_release(heap, event.address);
        }
        return;
      case EventKind::Free:
      case EventKind::ReallocOut: {
        auto it = ranges.find(event.address);
        if (it == ranges.end()) {
          ++unknown_releases_;
          observer.on_unknown_release(heap, event.address);
          return;
        }
        LiveBlock block = it->second;
        ranges.erase(it);
        subtract_bytes(heap, block.size);
        observer.on_released(heap, event.address, block);
        return;
      }
    }
    return;
  }
  switch (event.kind) {
    case EventKind::Alloc:
    case EventKind::ReallocIn: {
      LiveBlock block{event.size, event.stack, time};
      LiveBlock previous;
      if (!blocks_for_allocation(heap).insert(event.address, block, &previous)) {
        ++implicit_frees_;
        subtract_bytes(heap, previous.size);
        observer.on_implicit_free(heap, event.address, previous);
      }
      add_bytes(heap, event.size);
      observer.on_allocated(heap, event.address, block);
      return;
    }
    case EventKind::Free:
    case EventKind::ReallocOut:
    case EventKind::FreeRange: {
      LiveBlock removed;
      BlockMap* blocks = blocks_of(heap);
      if (blocks == nullptr || !blocks->erase(event.address, &removed)) {
        ++unknown_releases_;
        observer.on_unknown_release(heap, event.address);
        return;
      }
      subtract_bytes(heap, removed.size);
      observer.on_released(heap, event.address, removed);
      return;
    }
  }
}

template <typename Observer>
bool LiveSet::release_range(HeapId heap, uint64_t address, uint64_t size, Observer& observer) {
  RangeMap& ranges = ranges_[slot_of(heap)];
  uint64_t end = range_end(address, size);
  auto it = ranges.upper_bound(address);
  if (it != ranges.begin()) --it;
  bool released_any = false;
  while (it != ranges.end() && it->first < end) {
    uint64_t block_start = it->first;
    LiveBlock block = it->second;
    uint64_t block_end = block_start + block.size;  // never past the top: see apply()
    if (block_end <= address) {
      ++it;
      continue;
    }
    released_any = true;
    it = ranges.erase(it);
    uint64_t cut_start = block_start > address ? block_start : address;
    uint64_t cut_end = block_end < end ? block_end : end;
    if (block_start < cut_start) ranges.emplace(block_start, LiveBlock{cut_start - block_start, block.stack, block.time});
    if (cut_end < block_end) {
      it = ranges.emplace(cut_end, LiveBlock{block_end - cut_end, block.stack, block.time}).first;
      ++it;
    }
    LiveBlock released{cut_end - cut_start, block.stack, block.time};
    subtract_bytes(heap, released.size);
    observer.on_released(heap, cut_start, released);
  }
  return released_any;
}

template <typename Visit>
void LiveSet::for_each(Visit&& visit) const {
  for (uint32_t heap = 0; heap < kMaxHeaps; ++heap) {
    if (blocks_[heap] == nullptr) continue;
    blocks_[heap]->for_each([&](uint64_t address, const LiveBlock& block) { visit(HeapId(heap), address, block); });
  }
  for (const auto& [heap, ranges] : ranges_) {
    for (const auto& [start, block] : ranges) visit(HeapId(heap), start, block);
  }
}

}  // namespace leakspy::analyze
