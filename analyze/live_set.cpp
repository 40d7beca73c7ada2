#include "analyze/live_set.h"

#include "analyze/read_budget.h"

namespace leakspy::analyze {

LiveSet::LiveSet() { range_heaps_[capture::kHeapMmap] = true; }

LiveSet::BlockMap& LiveSet::blocks_for_allocation(HeapId heap) {
  std::unique_ptr<BlockMap>& blocks = blocks_[slot_of(heap)];
  // malloc's table starts large (every recording fills it); the others small.
  if (blocks == nullptr) blocks = std::make_unique<BlockMap>(heap.value() == capture::kHeapMalloc ? 1 << 16 : 1 << 10);
  return *blocks;
}

bool LiveSet::is_live(HeapId heap, uint64_t address) const {
  if (is_range_heap(heap)) {
    auto found = ranges_.find(slot_of(heap));
    return found != ranges_.end() && found->second.count(address) != 0;
  }
  const BlockMap* blocks = blocks_of(heap);
  return blocks != nullptr && blocks->find(address) != nullptr;
}

uint64_t LiveSet::live_blocks() const {
  uint64_t count = 0;
  for (const std::unique_ptr<BlockMap>& blocks : blocks_) count += blocks == nullptr ? 0 : blocks->size();
  for (const auto& [heap, ranges] : ranges_) count += ranges.size();
  return count;
}

uint64_t LiveSet::memory_bytes(size_t inserts) const {
  constexpr uint64_t kRangeNodeBytes = sizeof(RangeMap::value_type) + ReadBudget::kMapNodeBytes;
  uint64_t bytes = 0;
  for (const std::unique_ptr<BlockMap>& blocks : blocks_) bytes += blocks == nullptr ? 0 : blocks->memory_bytes(inserts);
  for (const auto& [heap, ranges] : ranges_) bytes += ranges.size() * kRangeNodeBytes;
  return bytes;
}

std::vector<std::pair<HeapId, uint64_t>> LiveSet::live_bytes_by_heap() const {
  std::vector<std::pair<HeapId, uint64_t>> result;
  for (uint32_t heap = 0; heap < kMaxHeaps; ++heap) {
    if (heap_used_[heap]) result.emplace_back(HeapId(heap), bytes_by_heap_[heap]);
  }
  return result;
}

}  // namespace leakspy::analyze
