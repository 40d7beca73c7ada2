#include "cli/growth_options.h"

#include "analyze/quantities.h"
#include "cli/report_input.h"

namespace leakspy::cli {

void add_growth_options(CLI::App* command, GrowthOptions& options, const std::string& default_heap) {
  options.heap = default_heap;
  auto* slices = command->add_option("--slices", options.slices, "Cut the recording into N equal slices")
                     ->capture_default_str()
                     ->check(CLI::Range(2, 10000));
  auto* every = command->add_option("--every", options.every, "Or: slices of this length (10s, 500ms, 1min)");
  slices->excludes(every);
  command->add_option(
      "--heap", options.heap,
      "Heaps to count: host (malloc and python), mmap, cuda, all, or a heap's name (default " + default_heap + ")");
  command->add_flag("--native", options.native_sites,
                    "Python: name each site by its innermost native frame instead of the Python line");
  analyze::VerdictThresholds& t = options.thresholds;
  const std::string group = "Verdict thresholds (docs/leak-verdicts.md)";
  command->add_option("--min-duration", options.min_duration, "Shorter recordings get no verdict (default 10s)")
      ->group(group);
  command->add_option("--min-slices", t.min_slices, "Fewer slices get no verdict")->capture_default_str()->group(group);
  command
      ->add_option("--leak-min-slope", options.leak_min_slope,
                   "Leak: floor growth of at least this rate (default 256B/s)")
      ->group(group);
  command->add_option("--leak-min-fit", t.leak_min_fit, "Leak: R² of the floor's linear fit")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0))
      ->group(group);
  command->add_option("--leak-min-rising-share", t.leak_min_rising_share, "Leak: share of floor steps that rose")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0))
      ->group(group);
  command
      ->add_option("--leak-min-late-growth", t.leak_min_late_growth,
                   "Leak: share of the growth still made in the second half")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0))
      ->group(group);
  command
      ->add_option("--plateau-max-late-growth", t.plateau_max_late_growth,
                   "Plateau: at most this share of the growth in the second half")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0))
      ->group(group);
  command->add_option("--sawtooth-min-drop", t.sawtooth_min_drop, "Sawtooth: a fall is this share of the range")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0))
      ->group(group);
  command->add_option("--sawtooth-min-drops", t.sawtooth_min_drops, "Sawtooth: at least this many falls")
      ->capture_default_str()
      ->group(group);
  command
      ->add_option("--released-late-min-drop", t.released_late_min_drop,
                   "Released late: the end is at most 1 - this of the peak")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0))
      ->group(group);
  command
      ->add_option("--released-late-window", t.released_late_window,
                   "Released late: the fall came in this last share of the recording")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0))
      ->group(group);
  command
      ->add_option("--stable-max-growth", options.stable_max_growth, "Less growth than this is stable (default 64KiB)")
      ->group(group);
}

GrowthInput load_growth(const std::string& path, const GrowthOptions& options) {
  analyze::VerdictThresholds thresholds = options.thresholds;
  if (!options.min_duration.empty()) {
    thresholds.min_duration_seconds = analyze::parse_seconds(options.min_duration, "--min-duration");
  }
  if (!options.leak_min_slope.empty()) {
    thresholds.leak_min_slope = analyze::parse_byte_rate(options.leak_min_slope, "--leak-min-slope");
  }
  if (!options.stable_max_growth.empty()) {
    thresholds.stable_max_growth = analyze::parse_byte_count(options.stable_max_growth, "--stable-max-growth");
  }
  analyze::SlicePlan plan;
  if (options.every.empty()) {
    plan.slices = options.slices;
  } else {
    plan.every_seconds = analyze::parse_seconds(options.every, "--every");
    if (plan.every_seconds <= 0) throw Error(ErrorKind::Usage, "--every " + options.every + ": must be longer than 0");
  }
  GrowthInput input{load_report_model(path, options.heap, plan), {}};
  input.analysis = analyze::analyze_growth(
      input.model, thresholds, options.native_sites ? analyze::SiteRule::Native : analyze::SiteRule::PythonLine);
  return input;
}

}  // namespace leakspy::cli
