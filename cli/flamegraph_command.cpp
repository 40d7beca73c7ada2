// leakspy flamegraph CAPTURE [-o profile.svg] [--metric live|peak|allocated|count]
//                            [--reverse] [--heap ...] [--title T]: an interactive SVG flame graph.

#include <filesystem>
#include <iostream>

#include "analyze/flame_tree.h"
#include "cli/commands.h"
#include "cli/report_input.h"
#include "render/flamegraph_svg.h"

namespace leakspy::cli {

namespace {

struct FlamegraphCommandOptions {
  std::string path;
  std::string output;
  std::string metric = "live";
  std::string heap = "host";
  std::string title;
  int width = 1200;
  bool reverse = false;
};

void flamegraph(const FlamegraphCommandOptions& options) {
  analyze::Metric metric = analyze::parse_metric(options.metric);
  std::string output = options.output;
  if (output.empty()) output = std::filesystem::path(options.path).filename().replace_extension(".svg").string();
  analyze::CaptureModel model = load_report_model(options.path, options.heap);
  analyze::FlameTree tree = analyze::FlameTree::build(model, metric, options.reverse);
  render::FlamegraphOptions svg_options;
  svg_options.title = options.title;
  svg_options.width = options.width;
  write_output(output, [&](std::ostream& out) { render::write_flamegraph_svg(out, model, tree, svg_options); });
  if (output != "-") std::cerr << "leakspy: wrote " << output << "\n";
}

}  // namespace

void add_flamegraph_command(CLI::App& app) {
  auto options = std::make_shared<FlamegraphCommandOptions>();
  CLI::App* command = app.add_subcommand("flamegraph", "An interactive SVG flame graph of who allocated what");
  command->add_option("capture", options->path, "The capture file")->required();
  command->add_option("-o,--output", options->output,
                      "The SVG file (default: CAPTURE with .svg, in the current directory; - for stdout)");
  command->add_option("--metric", options->metric, "live (at the end, default), peak, allocated or count")
      ->check(CLI::IsMember({"live", "peak", "allocated", "count"}));
  command->add_flag("--reverse", options->reverse,
                    "Leaf-rooted: the allocating functions at the bottom, their callers above");
  command->add_option("--heap", options->heap,
                      "Heaps to count: host (malloc and python, default), mmap, cuda, all, or a heap's name");
  command->add_option("--title", options->title, "Title (default: named after the metric)");
  command->add_option("--width", options->width, "Width in pixels (default 1200)")->check(CLI::Range(200, 20000));
  command->callback([options] { flamegraph(*options); });
}

}  // namespace leakspy::cli
