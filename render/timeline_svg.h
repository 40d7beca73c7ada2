#pragma once
// `leakspy timeline`: live memory over the recording as one static SVG that
// reads at a glance. One line per heap (host = malloc, mmap, python,
// cuda:N), the target's RSS (dashed, from the recorder's periodic Counters),
// and the call sites that grew the most stacked as areas under them, each
// with its verdict and rate in the legend. Deterministic (golden tests).
// Not thread-safe (labels are cached).

#include <cstddef>
#include <ostream>
#include <string>

#include "analyze/capture_model.h"
#include "analyze/site_growth.h"

namespace leakspy::render {

struct TimelineOptions {
  std::string title;  // empty: "Live memory over time"
  int width = 1200;   // pixels
  int height = 560;
  size_t sites = 5;  // call sites stacked (most worrying first)
};

// `model` read with time slices over the heaps to draw; `analysis` from it.
void write_timeline_svg(std::ostream& out, const analyze::CaptureModel& model, const analyze::GrowthAnalysis& analysis,
                        const TimelineOptions& options = {});

// What a heap is called in the legend: "host (malloc)" for malloc, else its name.
std::string timeline_heap_name(const std::string& heap);

}  // namespace leakspy::render
