#pragma once
// `leakspy export`: a FlameTree in formats other tools read.
//   collapsed   "outer;...;inner VALUE" per line, as flamegraph.pl,
//               inferno and speedscope read it (';' inside a name becomes ':')
//   speedscope  the speedscope file format: one sampled profile whose samples
//               are the stacks and whose weights are bytes (unit "bytes"), or
//               allocation counts (unit "none")
// Deterministic output. Not thread-safe.

#include <ostream>
#include <string>

#include "analyze/capture_model.h"
#include "analyze/flame_tree.h"

namespace leakspy::render {

void write_collapsed_stacks(std::ostream& out, const analyze::CaptureModel& model, const analyze::FlameTree& tree);

// `exporter` names the program in the file ("leakspy 0.1.0").
void write_speedscope_json(std::ostream& out, const analyze::CaptureModel& model, const analyze::FlameTree& tree,
                           const std::string& exporter);

}  // namespace leakspy::render
