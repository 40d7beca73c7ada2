#include "analyze/live_set.h"

namespace leakspy::analyze {

LiveSet::LiveSet() : blocks_(1 << 16) { range_heaps_[capture::kHeapMmap] = true; }

bool LiveSet::is_live(HeapId heap, uint64_t address) const {
  if (is_range_heap(heap)) {
    auto found = ranges_.find(heap.value());
    return found != ranges_.end() && found->second.count(address) != 0;
  }
  return blocks_.find(key_of(heap, address)) != nullptr;
}

uint64_t LiveSet::live_blocks() const {
  uint64_t count = blocks_.size();
  for (const auto& [heap, ranges] : ranges_) count += ranges.size();
  return count;
}

std::vector<std::pair<HeapId, uint64_t>> LiveSet::live_bytes_by_heap() const {
  std::vector<std::pair<HeapId, uint64_t>> result;
  for (uint32_t heap = 0; heap < kMaxHeaps; ++heap) {
    if (heap_used_[heap]) result.emplace_back(HeapId(heap), bytes_by_heap_[heap]);
  }
  return result;
}

}  // namespace leakspy::analyze
