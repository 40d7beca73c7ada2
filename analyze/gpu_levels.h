#pragma once
// GPU memory at both of its levels, whatever heaps a report counts: the
// segments the CUDA driver handed out (cuda:N, cuda:N/physical,
// cuda:pinned; for PyTorch, its reserved memory) and the tensors PyTorch's
// caching allocator placed in them (cuda:N/torch; its allocated memory).
// Reports print one line per GPU heap of a capture (render/report_summary.h),
// so that a number is never read at the wrong level. Small: GPU heaps see
// thousands of events, not millions. Not thread-safe.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "capture/format.h"

namespace leakspy::analyze {

struct GpuHeapLevel {
  std::string heap;        // "cuda:0", "cuda:0/torch", ...
  std::string_view level;  // analyze::cuda_heap_level(heap)
  uint64_t live_bytes = 0;
  uint64_t peak_bytes = 0;
};

class GpuLevelTally {
 public:
  // Called for each heap declaration; only GPU heaps with blocks (not the
  // cuda:N/mapped ranges, views of cuda:N/physical) are tallied.
  void declare(uint32_t heap, std::string_view name);
  // Every event of a capture comes here: one test for the others.
  void on_event(uint32_t heap, capture::EventKind kind, uint64_t address, uint64_t size) {
    if (heap < heaps_.size() && heaps_[heap].tallied) apply(heaps_[heap], kind, address, size);
  }
  // The tallied heaps, in heap id order.
  std::vector<GpuHeapLevel> levels() const;

 private:
  struct Heap {
    bool tallied = false;
    GpuHeapLevel level;
    std::unordered_map<uint64_t, uint64_t> blocks;  // address -> size
  };
  static void apply(Heap& heap, capture::EventKind kind, uint64_t address, uint64_t size);

  std::array<Heap, capture::kMaxHeaps> heaps_{};
};

}  // namespace leakspy::analyze
