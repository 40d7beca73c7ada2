#pragma once
// A differential flame graph (FlameGraph's difffolded convention): each
// frame as wide as the larger of its two values, red where it grew, blue
// where it shrank, the deeper the colour the larger the change relative to
// the largest one; the hover title gives both values and the change.
// Drawn by write_flamegraph_svg, so zoom and search work the same.
// Not thread-safe.

#include <ostream>
#include <string>

#include "analyze/capture_model.h"
#include "analyze/flame_diff.h"
#include "render/flamegraph_svg.h"

namespace leakspy::render {

// `model` is the model the diff's tree lives in (the second one).
// `before_name` and `after_name` say what is compared ("app-1.lspy", "live at 2.0 s").
void write_diff_flamegraph_svg(std::ostream& out, const analyze::CaptureModel& model, const analyze::FlameDiff& diff,
                               const std::string& before_name, const std::string& after_name,
                               FlamegraphOptions options = {});

// The fill of a frame that went from `before` to `after`, where the largest
// change of the graph is `largest_change`: white for no change.
std::string diff_colour(uint64_t before, uint64_t after, uint64_t largest_change);

}  // namespace leakspy::render
