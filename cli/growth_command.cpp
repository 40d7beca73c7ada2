// leakspy growth CAPTURE [--slices N | --every 10s] [--json] [-n 20] [--heap ...]
//                        [thresholds]: every call site's trend with its verdict.

#include <iostream>

#include "cli/commands.h"
#include "cli/growth_options.h"
#include "cli/option_values.h"
#include "cli/report_input.h"
#include "cli/report_output.h"
#include "render/growth_report.h"

namespace leakspy::cli {

namespace {

struct GrowthCommandOptions {
  std::string path;
  size_t rows = 20;
  bool json = false;
  bool types = false;
  GrowthOptions growth;
};

void growth(const GrowthCommandOptions& options) {
  GrowthInput input = load_growth(options.path, options.growth);
  write_output(kStdoutPath, [&](std::ostream& out) {
    if (options.types) {
      analyze::TypeGrowthAnalysis types = analyze::analyze_type_growth(input.model, options.growth.thresholds);
      if (options.json) {
        nlohmann::json report = render::growth_json(input.model, input.analysis, options.rows);
        report["python_types"] = render::type_growth_json(types, options.rows);
        out << report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
      } else {
        render::print_growth_summary(out, input.model, input.analysis);
        render::print_type_growth_table(out, types, options.rows);
      }
    } else if (options.json) {
      out << render::growth_json(input.model, input.analysis, options.rows)
                 .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
          << '\n';
    } else {
      render::print_growth_table(out, input.model, input.analysis, options.rows);
    }
  });
}

}  // namespace

void add_growth_command(CLI::App& app) {
  auto options = std::make_shared<GrowthCommandOptions>();
  CLI::App* command =
      app.add_subcommand("growth",
                         "Each call site's live bytes over time, with a verdict: leak, plateau, sawtooth, "
                         "released late, stable");
  command->add_option("capture", options->path, "The capture file")->required();
  add_whole_number_option(command, "-n,--rows", options->rows, "How many call sites to show (default 20; 0: all)",
                          size_t{0});
  command->add_flag("--json", options->json, "The same report as JSON, with each site's series");
  command->add_flag("--types", options->types,
                    "Python types instead of call sites: each type's count of live objects over time, with a "
                    "verdict (JSON: python_types)");
  add_growth_options(command, options->growth);
  command->callback([options] { growth(*options); });
}

}  // namespace leakspy::cli
