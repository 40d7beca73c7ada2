#pragma once
// `leakspy flamegraph`: a FlameTree drawn as an interactive SVG in the
// conventions of flamegraph.pl, inferno and py-spy: root at the bottom,
// children left to right by name, width proportional to the metric, a hover
// title with the value and its share, click to zoom, Reset Zoom, Search with
// the matched share, colours that stay with a function's name across graphs.
// Self-contained (inline style and script) and deterministic: the same model
// gives the same bytes, for golden tests. Not thread-safe.

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "analyze/capture_model.h"
#include "analyze/flame_tree.h"

namespace leakspy::render {

struct FlamegraphOptions {
  std::string title;             // empty: named after the metric
  std::string subtitle;          // the second subtitle line; empty: the capture's totals and heaps
  int width = 1200;              // pixels
  double min_frame_width = 0.1;  // narrower frames (and what they hold) are left out
  // Differential graphs (diff_flamegraph.h): a frame's fill and the value
  // line of its hover title, by tree node, instead of the defaults.
  std::function<std::string(uint32_t node)> frame_fill;
  std::function<std::string(uint32_t node)> frame_value_text;
};

void write_flamegraph_svg(std::ostream& out, const analyze::CaptureModel& model, const analyze::FlameTree& tree,
                          const FlamegraphOptions& options = {});

// The frame colour for a location: a hue family by kind (native, Python,
// allocation functions, unresolved), varied by a hash of the function name.
std::string frame_colour(const analyze::Location& location, const std::string& label);

}  // namespace leakspy::render
