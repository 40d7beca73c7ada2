// leakspy flamegraph CAPTURE [-o profile.svg] [--metric live|peak|allocated|count]
//                            [--reverse] [--heap ...] [--title T]: an interactive SVG flame graph.
//   --diff OTHER            the change from CAPTURE to OTHER (red grew, blue shrank)
//   --diff --from T1 --to T2  the change of live bytes within CAPTURE between two moments

#include <filesystem>
#include <iostream>

#include "analyze/flame_diff.h"
#include "analyze/flame_tree.h"
#include "cli/commands.h"
#include "cli/option_values.h"
#include "cli/report_input.h"
#include "cli/report_output.h"
#include "common/error.h"
#include "render/diff_flamegraph.h"
#include "render/flamegraph_svg.h"
#include "render/units.h"

namespace leakspy::cli {

namespace {

struct FlamegraphCommandOptions {
  std::string path;
  std::string output;
  std::string metric = "live";
  std::string heap = "host";
  uint32_t process = 0;
  std::string title;
  int width = 1200;
  bool reverse = false;
  bool diff = false;      // --diff given
  std::string diff_with;  // --diff OTHER
  double from = 0;        // --from T1, in seconds
  double to = 0;          // --to T2
  bool has_from = false;
  bool has_to = false;
};

render::FlamegraphOptions svg_options(const FlamegraphCommandOptions& options) {
  render::FlamegraphOptions svg;
  svg.title = options.title;
  svg.width = options.width;
  return svg;
}

void write_svg(const std::string& output, const std::function<void(std::ostream&)>& write) {
  write_output(output, write);
  say_written(output);
}

// From CAPTURE to OTHER: each capture's own tree, merged by what the frames are.
void capture_diff_flamegraph(const FlamegraphCommandOptions& options, analyze::Metric metric,
                             const std::string& output) {
  analyze::CaptureModel before = load_report_model(options.path, options.heap, {}, options.process);
  analyze::CaptureModel after = load_report_model(options.diff_with, options.heap);
  analyze::FlameTree before_tree = analyze::FlameTree::build(before, metric, options.reverse);
  analyze::FlameTree after_tree = analyze::FlameTree::build(after, metric, options.reverse);
  analyze::FlameDiff diff = analyze::diff_flame_trees(before, before_tree, after, after_tree);
  std::string before_name = std::filesystem::path(options.path).filename().string();
  std::string after_name = std::filesystem::path(options.diff_with).filename().string();
  write_svg(output, [&](std::ostream& out) {
    render::write_diff_flamegraph_svg(out, after, diff, before_name, after_name, svg_options(options));
  });
}

// Live bytes at T1 and at T2 of one capture, from exact snapshots taken in the one pass.
void window_diff_flamegraph(const FlamegraphCommandOptions& options, const std::string& output) {
  if (options.metric != "live") throw Error(ErrorKind::Usage, "--from/--to compare live bytes: leave out --metric");
  double from = options.from;
  double to = options.to;
  analyze::SlicePlan plan;
  plan.snapshot_seconds = {from, to};
  analyze::CaptureModel model = load_report_model(options.path, options.heap, plan, options.process);
  const analyze::TimeSlices& slices = *model.slices;
  analyze::FlameTree before =
      analyze::FlameTree::build_from_values(model, slices.snapshot(0), analyze::Metric::Live, options.reverse);
  analyze::FlameTree after =
      analyze::FlameTree::build_from_values(model, slices.snapshot(1), analyze::Metric::Live, options.reverse);
  analyze::FlameDiff diff = analyze::diff_flame_trees(model, before, model, after);
  if (to > model.duration_seconds()) {
    std::cerr << "leakspy: warning: --to " << render::human_duration(to) << " is after the end of the recording ("
              << render::human_duration(model.duration_seconds()) << "): the end is used\n";
  }
  write_svg(output, [&](std::ostream& out) {
    render::write_diff_flamegraph_svg(out, model, diff, "live at " + render::human_duration(from),
                                      "at " + render::human_duration(to), svg_options(options));
  });
}

void flamegraph(const FlamegraphCommandOptions& options) {
  analyze::Metric metric = analyze::parse_metric(options.metric);
  std::string output = options.output;
  if (output.empty()) {
    output = std::filesystem::path(options.path).filename().replace_extension(options.diff ? "" : ".svg").string();
    if (options.diff) output += "-diff.svg";
  }
  bool window = options.has_from || options.has_to;
  if (window && !(options.has_from && options.has_to))
    throw Error(ErrorKind::Usage, "--from and --to go together");
  if (window && !options.diff) throw Error(ErrorKind::Usage, "--from/--to draw a difference: add --diff");
  if (options.diff) {
    if (window && !options.diff_with.empty()) {
      throw Error(ErrorKind::Usage, "--diff takes either another capture or --from/--to, not both");
    }
    if (!window && options.diff_with.empty()) {
      throw Error(ErrorKind::Usage, "--diff needs another capture (--diff OTHER.lspy) or a window (--from T1 --to T2)");
    }
    if (window) {
      window_diff_flamegraph(options, output);
    } else {
      capture_diff_flamegraph(options, metric, output);
    }
    return;
  }
  analyze::CaptureModel model = load_report_model(options.path, options.heap, {}, options.process);
  analyze::FlameTree tree = analyze::FlameTree::build(model, metric, options.reverse);
  write_svg(output, [&](std::ostream& out) { render::write_flamegraph_svg(out, model, tree, svg_options(options)); });
}

}  // namespace

void add_flamegraph_command(CLI::App& app) {
  auto options = std::make_shared<FlamegraphCommandOptions>();
  CLI::App* command = app.add_subcommand("flamegraph", "An interactive SVG flame graph of who allocated what");
  command->add_option("capture", options->path, "The capture file")->required();
  command->add_option("-o,--output", options->output,
                      "The SVG file (default: CAPTURE with .svg, or CAPTURE-diff.svg, in the current directory; - "
                      "for stdout)");
  add_choice_option(command, "--metric", options->metric, {"live", "peak", "allocated", "count"},
                    "live (at the end, default), peak, allocated or count");
  command->add_flag("--reverse", options->reverse,
                    "Leaf-rooted: the allocating functions at the bottom, their callers above");
  add_process_option(command, options->process);
  command->add_option("--heap", options->heap,
                      "Heaps to count: host (malloc and python, default), mmap, cuda, all, or a heap's name");
  command->add_option("--title", options->title, "Title (default: named after the metric)");
  add_whole_number_option(command, "--width", options->width, "Width in pixels (default 1200)", 200, 20000);
  command
      ->add_option("--diff", options->diff_with,
                   "A differential graph (red grew, blue shrank): from CAPTURE to this capture, or with --from/--to "
                   "between two moments of CAPTURE")
      ->expected(0, 1);
  add_duration_option(command, "--from", options->from, "--diff: the first moment (10s, 1.5m, ...) since the start");
  add_duration_option(command, "--to", options->to, "--diff: the second moment");
  command->callback([options, command] {
    options->diff = command->count("--diff") > 0;
    options->has_from = command->count("--from") > 0;
    options->has_to = command->count("--to") > 0;
    flamegraph(*options);
  });
}

}  // namespace leakspy::cli
