#pragma once
// The numbers every report can rank and draw by, per stack and per site.

#include <cstdint>
#include <string>

namespace leakspy::analyze {

struct StackTotals {
  uint64_t allocated_bytes = 0;  // everything allocated (malloc, realloc's new block, mmap)
  uint64_t allocations = 0;      // how many allocations
  uint64_t live_bytes = 0;       // still live at the end of the capture
  uint64_t peak_bytes = 0;       // live at the moment the counted heaps' total peaked

  void add(const StackTotals& other) {
    allocated_bytes += other.allocated_bytes;
    allocations += other.allocations;
    live_bytes += other.live_bytes;
    peak_bytes += other.peak_bytes;
  }
  bool empty() const { return allocations == 0 && live_bytes == 0 && peak_bytes == 0; }
};

enum class Metric { Live, Peak, Allocated, Count };

inline uint64_t metric_value(const StackTotals& totals, Metric metric) {
  switch (metric) {
    case Metric::Live:
      return totals.live_bytes;
    case Metric::Peak:
      return totals.peak_bytes;
    case Metric::Allocated:
      return totals.allocated_bytes;
    case Metric::Count:
      return totals.allocations;
  }
  return 0;
}

// "live", "peak", "allocated", "count".
const char* metric_name(Metric metric);
// Throws Error(Usage) naming the choices.
Metric parse_metric(const std::string& text);
// Bytes for every metric but Count.
inline bool metric_is_bytes(Metric metric) { return metric != Metric::Count; }

}  // namespace leakspy::analyze
