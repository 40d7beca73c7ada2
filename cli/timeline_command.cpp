// leakspy timeline CAPTURE [-o timeline.svg] [--heap all] [--sites 5]
//                          [--slices N | --every 10s] [thresholds]: live
// bytes per heap and RSS over time, the top growing sites stacked.

#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/growth_options.h"
#include "cli/option_values.h"
#include "cli/report_input.h"
#include "cli/report_output.h"
#include "render/timeline_svg.h"

namespace leakspy::cli {

namespace {

struct TimelineCommandOptions {
  std::string path;
  std::string output;
  std::string title;
  size_t sites = 5;
  int width = 1200;
  GrowthOptions growth;
};

void timeline(const TimelineCommandOptions& options) {
  std::string output = options.output;
  if (output.empty()) {
    output = std::filesystem::path(options.path).filename().replace_extension("").string() + "-timeline.svg";
  }
  GrowthInput input = load_growth(options.path, options.growth);
  render::TimelineOptions svg;
  svg.title = options.title;
  svg.sites = options.sites;
  svg.width = options.width;
  write_output(output, [&](std::ostream& out) { render::write_timeline_svg(out, input.model, input.analysis, svg); });
  say_written(output);
}

}  // namespace

void add_timeline_command(CLI::App& app) {
  auto options = std::make_shared<TimelineCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "timeline", "An SVG of live bytes per heap and RSS over time, the most growing call sites stacked with verdicts");
  command->add_option("capture", options->path, "The capture file")->required();
  command->add_option("-o,--output", options->output,
                      "The SVG file (default: CAPTURE-timeline.svg in the current directory; - for stdout)");
  add_whole_number_option(command, "--sites", options->sites, "How many call sites to stack (default 5)", size_t{0},
                          size_t{20});
  command->add_option("--title", options->title, "Title (default: Live memory over time)");
  add_whole_number_option(command, "--width", options->width, "Width in pixels (default 1200)", 800, 20000);
  add_growth_options(command, options->growth, "all");
  command->callback([options] { timeline(*options); });
}

}  // namespace leakspy::cli
