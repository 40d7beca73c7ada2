// leakspy top CAPTURE [-n 20] [--by live|peak|allocated|count] [--heap host|mmap|all]
//                     [--process PID] [--by-process] [--json] [--bytes]: the call sites that hold or allocate the most.

#include <iostream>

#include "cli/commands.h"
#include "cli/option_values.h"
#include "cli/report_input.h"
#include "cli/report_output.h"
#include "cli/site_options.h"
#include "render/top_report.h"

namespace leakspy::cli {

namespace {

struct TopCommandOptions {
  std::string path;
  size_t rows = 20;
  std::string by = "live";
  std::string heap = "host";
  uint32_t process = 0;
  bool by_process = false;
  bool json = false;
  bool exact_bytes = false;
  SiteOptions sites;
};

void top(const TopCommandOptions& options) {
  render::TopOptions top_options;
  top_options.by = analyze::parse_metric(options.by);
  top_options.rows = options.rows;
  top_options.exact_bytes = options.exact_bytes;
  top_options.by_process = options.by_process;
  top_options.site = options.sites.rules();
  analyze::CaptureModel model = load_report_model(options.path, options.heap, {}, options.process);
  render::TopReport report = render::make_top_report(model, top_options);
  write_output(kStdoutPath, [&](std::ostream& out) {
    if (options.json) {
      out << render::top_json(model, report, top_options).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
          << '\n';
    } else {
      render::print_top_table(out, model, report, top_options);
    }
  });
}

}  // namespace

void add_top_command(CLI::App& app) {
  auto options = std::make_shared<TopCommandOptions>();
  CLI::App* command = app.add_subcommand("top", "The call sites holding or allocating the most memory");
  command->add_option("capture", options->path, "The capture file")->required();
  add_whole_number_option(command, "-n,--rows", options->rows, "How many call sites to show (default 20)", size_t{1});
  add_choice_option(command, "--by", options->by, {"live", "peak", "allocated", "count"},
                    "Rank by live (at the end, default), peak, allocated or count");
  command->add_option("--heap", options->heap,
                      "Heaps to count: host (malloc and python, default), mmap, cuda, all, or a heap's name");
  add_process_option(command, options->process);
  command->add_flag("--by-process", options->by_process,
                    "A row per call site and process, instead of one per call site over all processes");
  command->add_flag("--json", options->json, "The same report as JSON");
  command->add_flag("--bytes", options->exact_bytes, "Byte counts in full instead of KiB/MiB");
  add_site_options(command, options->sites);
  command->callback([options] { top(*options); });
}

}  // namespace leakspy::cli
