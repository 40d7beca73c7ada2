#include "cli/growth_options.h"

#include "cli/option_values.h"
#include "cli/report_input.h"

namespace leakspy::cli {

void add_growth_options(CLI::App* command, GrowthOptions& options, const std::string& default_heap) {
  options.heap = default_heap;
  auto* slices = add_whole_number_option(command, "--slices", options.slices, "Cut the recording into N equal slices",
                                         uint32_t{2}, uint32_t{10000})
                     ->default_str(std::to_string(options.slices));
  auto* every = add_positive_duration_option(command, "--every", options.every_seconds,
                                             "Or: slices of this length (10s, 500ms, 1m)");
  slices->excludes(every);
  command->add_option(
      "--heap", options.heap,
      "Heaps to count: host (malloc and python), mmap, cuda, all, or a heap's name (default " + default_heap + ")");
  add_process_option(command, options.process);
  add_site_options(command, options.sites);
  analyze::VerdictThresholds& t = options.thresholds;
  const std::string group = "Verdict thresholds (docs/leak-verdicts.md)";
  add_duration_option(command, "--min-duration", t.min_duration_seconds,
                      "Shorter recordings get no verdict (default 10s)")
      ->group(group);
  add_whole_number_option(command, "--min-slices", t.min_slices, "Fewer slices get no verdict", uint32_t{2})
      ->default_str(std::to_string(t.min_slices))
      ->group(group);
  add_rate_option(command, "--leak-min-slope", t.leak_min_slope,
                  "Leak: floor growth of at least this rate (default 256B/s)")
      ->group(group);
  add_share_option(command, "--leak-min-fit", t.leak_min_fit, "Leak: R² of the floor's linear fit")->group(group);
  add_share_option(command, "--leak-min-rising-share", t.leak_min_rising_share, "Leak: share of floor steps that rose")
      ->group(group);
  add_share_option(command, "--leak-min-late-growth", t.leak_min_late_growth,
                   "Leak: share of the growth still made in the second half")
      ->group(group);
  add_share_option(command, "--plateau-max-late-growth", t.plateau_max_late_growth,
                   "Plateau: at most this share of the growth in the second half")
      ->group(group);
  add_share_option(command, "--sawtooth-min-drop", t.sawtooth_min_drop, "Sawtooth: a fall is this share of the range")
      ->group(group);
  add_whole_number_option(command, "--sawtooth-min-drops", t.sawtooth_min_drops, "Sawtooth: at least this many falls",
                          uint32_t{1})
      ->default_str(std::to_string(t.sawtooth_min_drops))
      ->group(group);
  add_share_option(command, "--released-late-min-drop", t.released_late_min_drop,
                   "Released late: the end is at most 1 - this of the peak")
      ->group(group);
  add_share_option(command, "--released-late-window", t.released_late_window,
                   "Released late: the fall came in this last share of the recording")
      ->group(group);
  add_size_option(command, "--stable-max-growth", t.stable_max_growth,
                  "Less growth than this is stable (default 64KiB)")
      ->group(group);
}

GrowthInput load_growth(const std::string& path, const GrowthOptions& options) {
  analyze::SlicePlan plan;
  if (options.every_seconds > 0) {
    plan.every_seconds = options.every_seconds;
  } else {
    plan.slices = options.slices;
  }
  GrowthInput input{load_report_model(path, options.heap, plan, options.process), {}};
  input.analysis = analyze::analyze_growth(
      input.model, options.thresholds,
      options.sites.rules());
  return input;
}

}  // namespace leakspy::cli
