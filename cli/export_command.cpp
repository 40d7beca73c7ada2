// leakspy export CAPTURE --format collapsed|speedscope [-o OUT] [--metric ...]
//                        [--reverse] [--heap ...]: stacks for other tools.

#include "analyze/flame_tree.h"
#include "cli/commands.h"
#include "cli/option_values.h"
#include "cli/report_input.h"
#include "cli/report_output.h"
#include "render/stack_export.h"

namespace leakspy::cli {

namespace {

struct ExportCommandOptions {
  std::string path;
  std::string format;
  std::string output = kStdoutPath;
  std::string metric = "live";
  std::string heap = "host";
  uint32_t process = 0;
  bool reverse = false;
};

void export_stacks(const ExportCommandOptions& options) {
  analyze::Metric metric = analyze::parse_metric(options.metric);
  analyze::CaptureModel model = load_report_model(options.path, options.heap, {}, options.process);
  analyze::FlameTree tree = analyze::FlameTree::build(model, metric, options.reverse);
  write_output(options.output, [&](std::ostream& out) {
    if (options.format == "collapsed") {
      render::write_collapsed_stacks(out, model, tree);
    } else {
      render::write_speedscope_json(out, model, tree, std::string("leakspy ") + LEAKSPY_VERSION);
    }
  });
}

}  // namespace

void add_export_command(CLI::App& app) {
  auto options = std::make_shared<ExportCommandOptions>();
  CLI::App* command =
      app.add_subcommand("export", "Stacks for other tools: collapsed (flamegraph.pl, inferno) or speedscope");
  command->add_option("capture", options->path, "The capture file")->required();
  add_choice_option(command, "--format", options->format, {"collapsed", "speedscope"}, "collapsed or speedscope")
      ->required();
  command->add_option("-o,--output", options->output, "Output file (default: stdout)");
  add_choice_option(command, "--metric", options->metric, {"live", "peak", "allocated", "count"},
                    "live (at the end, default), peak, allocated or count");
  command->add_flag("--reverse", options->reverse, "Leaf-rooted stacks: the allocating function first");
  add_process_option(command, options->process);
  command->add_option("--heap", options->heap,
                      "Heaps to count: host (malloc and python, default), mmap, cuda, all, or a heap's name");
  command->callback([options] { export_stacks(*options); });
}

}  // namespace leakspy::cli
