#include "analyze/gpu_levels.h"

#include <algorithm>

#include "analyze/heap_selection.h"

namespace leakspy::analyze {

void GpuLevelTally::declare(uint32_t heap, std::string_view name) {
  if (heap >= heaps_.size()) return;
  Heap& slot = heaps_[heap];
  slot.tallied = name.starts_with("cuda:") && !name.ends_with("/mapped");
  slot.level.heap = std::string(name);
  slot.level.level = cuda_heap_level(name);
}

void GpuLevelTally::apply(Heap& slot, capture::EventKind kind, uint64_t address, uint64_t size) {
  auto release = [&] {
    auto found = slot.blocks.find(address);
    if (found == slot.blocks.end()) return;  // allocated before the recording: unknown
    slot.level.live_bytes -= found->second;
    slot.blocks.erase(found);
  };
  switch (kind) {
    case capture::EventKind::Alloc:
    case capture::EventKind::ReallocIn: {
      release();  // an allocation over a live block ends that block
      slot.blocks[address] = size;
      slot.level.live_bytes += size;
      slot.level.peak_bytes = std::max(slot.level.peak_bytes, slot.level.live_bytes);
      return;
    }
    case capture::EventKind::Free:
    case capture::EventKind::ReallocOut:
      release();
      return;
    default:
      return;
  }
}

std::vector<GpuHeapLevel> GpuLevelTally::levels() const {
  std::vector<GpuHeapLevel> levels;
  for (const Heap& heap : heaps_) {
    if (heap.tallied) levels.push_back(heap.level);
  }
  return levels;
}

}  // namespace leakspy::analyze
