#pragma once
// Two flame trees merged frame path by frame path for a differential flame
// graph (red grew, blue shrank): from two captures, or from two moments of
// one capture. Frames match by match_key (capture_diff.h), never by address.
// The merged tree lives in the second model's locations (frames found only
// in the first are added to its symbol table); each frame's width is the
// larger of its two values, so what shrank stays visible next to what grew.
// Not thread-safe.

#include <cstdint>
#include <vector>

#include "analyze/capture_model.h"
#include "analyze/flame_tree.h"

namespace leakspy::analyze {

struct FlameDiff {
  FlameTree tree;                // widths: per frame path, max(before, after) of its own value, summed upward
  std::vector<uint64_t> before;  // per tree node: its total in the first tree
  std::vector<uint64_t> after;   // ... and in the second
  uint64_t before_total = 0;
  uint64_t after_total = 0;
};

// `before_model` and `after_model` may be the same model.
FlameDiff diff_flame_trees(const CaptureModel& before_model, const FlameTree& before, CaptureModel& after_model,
                           const FlameTree& after);

}  // namespace leakspy::analyze
