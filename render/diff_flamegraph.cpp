#include "render/diff_flamegraph.h"

#include <algorithm>
#include <cmath>

#include "render/report_summary.h"
#include "render/units.h"

namespace leakspy::render {

namespace {

uint64_t change_of(uint64_t before, uint64_t after) { return before > after ? before - after : after - before; }

std::string signed_value(analyze::Metric metric, uint64_t before, uint64_t after) {
  if (before == after) return "no change";
  return (after > before ? "+" : "-") + metric_text(metric, change_of(before, after));
}

}  // namespace

std::string diff_colour(uint64_t before, uint64_t after, uint64_t largest_change) {
  if (before == after || largest_change == 0) return "rgb(250,250,250)";
  double strength = std::min(1.0, static_cast<double>(change_of(before, after)) / static_cast<double>(largest_change));
  // At least a tint, so that any change shows.
  int fade = static_cast<int>(std::lround(210 * (1 - (0.15 + 0.85 * strength))));
  if (after > before) return "rgb(255," + std::to_string(fade + 30) + "," + std::to_string(fade + 30) + ")";
  return "rgb(" + std::to_string(fade + 30) + "," + std::to_string(fade + 30) + ",255)";
}

void write_diff_flamegraph_svg(std::ostream& out, const analyze::CaptureModel& model, const analyze::FlameDiff& diff,
                               const std::string& before_name, const std::string& after_name,
                               FlamegraphOptions options) {
  const analyze::Metric metric = diff.tree.metric();
  // The largest change of a frame's own value: leaf-heavy changes set the scale.
  uint64_t largest = 0;
  for (size_t node = 1; node < diff.tree.nodes().size(); ++node) {
    largest = std::max(largest, change_of(diff.before[node], diff.after[node]));
  }
  if (options.title.empty())
    options.title = metric_title(metric, diff.tree.reversed()) + ": difference (red grew, blue shrank)";
  if (options.subtitle.empty()) {
    options.subtitle = before_name + " " + metric_text(metric, diff.before_total) + " → " + after_name + " " +
                       metric_text(metric, diff.after_total) + " (" +
                       signed_value(metric, diff.before_total, diff.after_total) + ")";
  }
  options.frame_fill = [&](uint32_t node) { return diff_colour(diff.before[node], diff.after[node], largest); };
  options.frame_value_text = [&](uint32_t node) {
    return metric_text(metric, diff.before[node]) + " → " + metric_text(metric, diff.after[node]) + " (" +
           signed_value(metric, diff.before[node], diff.after[node]) + ")";
  };
  write_flamegraph_svg(out, model, diff.tree, options);
}

}  // namespace leakspy::render
