#pragma once
// What is allocated right now: every live block with its size, stack and time
// of allocation, per heap. One implementation of the rules every consumer
// needs - the recorder (counters, merge decisions) and every report:
//   - a release of an unknown address is counted, not an error (allocations
//     before the start of recording are unknown);
//   - an allocation over a live address means its free was missed: the old
//     block is dropped and counted as an implicit free;
//   - range heaps (mmap) release address ranges, possibly parts of a block.
// Not thread-safe.

#include <array>
#include <cstdint>
#include <map>
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
  uint64_t live_bytes(HeapId heap) const { return bytes_by_heap_[heap.value() % kMaxHeaps]; }
  uint64_t live_blocks() const;
  // (heap, live bytes) for every heap that has had an allocation.
  std::vector<std::pair<HeapId, uint64_t>> live_bytes_by_heap() const;
  uint64_t unknown_releases() const { return unknown_releases_; }
  uint64_t implicit_frees() const { return implicit_frees_; }

  // Visits every live block: visit(heap, address, block).
  template <typename Visit>
  void for_each(Visit&& visit) const;

  // Heaps that release ranges (capture::kHeapFlagRanges). mmap is one from the start.
  void set_range_heap(HeapId heap, bool ranges) { range_heaps_[heap.value() % kMaxHeaps] = ranges; }
  bool is_range_heap(HeapId heap) const { return range_heaps_[heap.value() % kMaxHeaps]; }

 private:
  static uint64_t key_of(HeapId heap, uint64_t address) {
    return address ^ (static_cast<uint64_t>(heap.value()) << 56) ^ (1ull << 63);
  }
  using RangeMap = std::map<uint64_t, LiveBlock>;  // start -> block, non-overlapping

  // Releases whatever part of [address, address + size) is live. Returns
  // whether anything was.
  template <typename Observer>
  bool release_range(HeapId heap, uint64_t address, uint64_t size, Observer& observer);
  void add_bytes(HeapId heap, int64_t delta) {
    bytes_by_heap_[heap.value() % kMaxHeaps] += static_cast<uint64_t>(delta);
    heap_used_[heap.value() % kMaxHeaps] = true;
  }

  AddressMap<LiveBlock> blocks_;
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
    RangeMap& ranges = ranges_[heap.value()];
    switch (event.kind) {
      case EventKind::Alloc:
      case EventKind::ReallocIn: {
        release_range(heap, event.address, event.size, observer);  // MAP_FIXED replaces what was there
        LiveBlock block{event.size, event.stack, time};
        ranges.emplace(event.address, block);
        add_bytes(heap, static_cast<int64_t>(event.size));
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
        add_bytes(heap, -static_cast<int64_t>(block.size));
        observer.on_released(heap, event.address, block);
        return;
      }
    }
    return;
  }
  uint64_t key = key_of(heap, event.address);
  switch (event.kind) {
    case EventKind::Alloc:
    case EventKind::ReallocIn: {
      LiveBlock block{event.size, event.stack, time};
      LiveBlock previous;
      if (!blocks_.insert(key, block, &previous)) {
        ++implicit_frees_;
        add_bytes(heap, -static_cast<int64_t>(previous.size));
        observer.on_implicit_free(heap, event.address, previous);
      }
      add_bytes(heap, static_cast<int64_t>(event.size));
      observer.on_allocated(heap, event.address, block);
      return;
    }
    case EventKind::Free:
    case EventKind::ReallocOut:
    case EventKind::FreeRange: {
      LiveBlock removed;
      if (!blocks_.erase(key, &removed)) {
        ++unknown_releases_;
        observer.on_unknown_release(heap, event.address);
        return;
      }
      add_bytes(heap, -static_cast<int64_t>(removed.size));
      observer.on_released(heap, event.address, removed);
      return;
    }
  }
}

template <typename Observer>
bool LiveSet::release_range(HeapId heap, uint64_t address, uint64_t size, Observer& observer) {
  RangeMap& ranges = ranges_[heap.value()];
  uint64_t end = address + size;
  auto it = ranges.upper_bound(address);
  if (it != ranges.begin()) --it;
  bool released_any = false;
  while (it != ranges.end() && it->first < end) {
    uint64_t block_start = it->first;
    LiveBlock block = it->second;
    uint64_t block_end = block_start + block.size;
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
    add_bytes(heap, -static_cast<int64_t>(released.size));
    observer.on_released(heap, cut_start, released);
  }
  return released_any;
}

template <typename Visit>
void LiveSet::for_each(Visit&& visit) const {
  blocks_.for_each([&](uint64_t key, const LiveBlock& block) {
    uint64_t stripped = key ^ (1ull << 63);
    HeapId heap(static_cast<uint32_t>((stripped >> 56) & 0x7F));
    visit(heap, stripped & ((1ull << 56) - 1), block);
  });
  for (const auto& [heap, ranges] : ranges_) {
    for (const auto& [start, block] : ranges) visit(HeapId(heap), start, block);
  }
}

}  // namespace leakspy::analyze
