// leakspy diff BEFORE AFTER [--json] [--metric live|peak|allocated|count] [-n 20]
//                           [--heap ...]: two captures compared site by site.

#include <iostream>

#include "analyze/capture_diff.h"
#include "cli/commands.h"
#include "cli/option_values.h"
#include "cli/report_input.h"
#include "cli/report_output.h"
#include "cli/site_options.h"
#include "render/diff_report.h"

namespace leakspy::cli {

namespace {

struct DiffCommandOptions {
  std::string before;
  std::string after;
  std::string metric = "live";
  std::string heap = "host";
  size_t rows = 20;
  bool json = false;
  SiteOptions sites;
};

void diff(const DiffCommandOptions& options) {
  analyze::Metric metric = analyze::parse_metric(options.metric);
  analyze::CaptureModel before = load_report_model(options.before, options.heap);
  analyze::CaptureModel after = load_report_model(options.after, options.heap);
  analyze::CaptureDiff result = analyze::diff_captures(before, after, metric, options.sites.rules());
  write_output(kStdoutPath, [&](std::ostream& out) {
    if (options.json) {
      out << render::diff_json(before, after, result, options.rows)
                 .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
          << '\n';
    } else {
      render::print_diff_table(out, before, after, result, options.rows);
    }
  });
}

}  // namespace

void add_diff_command(CLI::App& app) {
  auto options = std::make_shared<DiffCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "diff", "Compare two captures site by site (matched by function and Python line, never by address)");
  command->add_option("before", options->before, "The first capture (the baseline)")->required();
  command->add_option("after", options->after, "The second capture")->required();
  add_choice_option(command, "--metric", options->metric, {"live", "peak", "allocated", "count"},
                    "Compare live (at the end, default), peak, allocated or count");
  command->add_option("--heap", options->heap,
                      "Heaps to count: host (malloc and python, default), mmap, cuda, all, or a heap's name");
  add_whole_number_option(command, "-n,--rows", options->rows,
                          "How many changed call sites to show (default 20; 0: all)", size_t{0});
  command->add_flag("--json", options->json, "The same report as JSON");
  add_site_options(command, options->sites);
  command->callback([options] { diff(*options); });
}

}  // namespace leakspy::cli
