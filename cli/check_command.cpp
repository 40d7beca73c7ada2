// leakspy check CAPTURE [--max-growth 1MB/min] [--json report.json] [thresholds]:
// a CI gate. Exit 0 when no leak grows faster than allowed, 20 when one does
// (docs/exit-codes.md); the JSON report's schema is docs/check-report.md.

#include <algorithm>
#include <deque>
#include <iostream>
#include <vector>

#include "analyze/leak_gate.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/growth_options.h"
#include "cli/option_values.h"
#include "cli/report_input.h"
#include "cli/report_output.h"
#include "render/check_report.h"

namespace leakspy::cli {

namespace {

struct CheckCommandOptions {
  std::string path;
  double max_growth = 0;  // bytes per second
  bool fail_on_retention = false;
  std::string json;
  GrowthOptions growth;
};

// Most processes checked one by one (each is a read of the capture): the
// ones that come first.
constexpr size_t kMostProcessesChecked = 16;

// Each process of a capture that holds several, read and gated on its own
// events; none when --process chose one, or there is one.
struct ProcessInputs {
  std::deque<GrowthInput> inputs;  // a deque: the checks point into it as it grows
  std::vector<render::ProcessCheck> checks;
};
ProcessInputs check_each_process(const CheckCommandOptions& options, const analyze::CaptureModel& whole) {
  ProcessInputs result;
  if (options.growth.process != 0) return result;
  std::vector<uint32_t> pids;
  for (const analyze::ProcessInfo& process : whole.processes) {
    if (std::find(pids.begin(), pids.end(), process.pid) == pids.end()) pids.push_back(process.pid);
  }
  if (pids.size() < 2) return result;
  if (pids.size() > kMostProcessesChecked) {
    std::cerr << "leakspy: the capture holds " << pids.size() << " processes; the first " << kMostProcessesChecked
              << " are checked one by one (check another with --process PID)\n";
    pids.resize(kMostProcessesChecked);
  }
  for (uint32_t pid : pids) {
    GrowthOptions alone = options.growth;
    alone.process = pid;
    GrowthInput& input = result.inputs.emplace_back(load_growth(options.path, alone));
    analyze::GateResult gate = analyze::apply_leak_gate(input.analysis, options.max_growth, options.fail_on_retention);
    result.checks.push_back({pid, &input.model, &input.analysis, gate});
  }
  return result;
}

void check(const CheckCommandOptions& options) {
  GrowthInput input = load_growth(options.path, options.growth);
  analyze::GateResult gate = analyze::apply_leak_gate(input.analysis, options.max_growth, options.fail_on_retention);
  ProcessInputs processes = check_each_process(options, input.model);
  if (!options.json.empty()) {
    write_output(options.json, [&](std::ostream& out) {
      out << render::check_json(input.model, input.analysis, gate, processes.checks)
                 .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
          << '\n';
    });
  }
  auto summary = [&](std::ostream& out) {
    render::print_check_summary(out, input.model, input.analysis, gate, processes.checks);
  };
  // With the JSON on stdout, stdout is the JSON's alone: the summary for people goes to stderr.
  if (!options.json.empty() && is_stdout(options.json)) {
    summary(std::cerr);
  } else {
    write_output(kStdoutPath, summary);
  }
  if (render::check_status(gate, processes.checks) == analyze::GateStatus::Fail) command_exit_code = kExitLeakFound;
}

}  // namespace

void add_check_command(CLI::App& app) {
  auto options = std::make_shared<CheckCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "check", "CI gate: exit 0 when no call site leaks, 20 when one does (leaks faster than --max-growth)");
  command->add_option("capture", options->path, "The capture file")->required();
  add_rate_option(command, "--max-growth", options->max_growth,
                  "Tolerated growth of the leaking sites together, e.g. 1MB/min (default 0: any leak fails)");
  command->add_flag("--fail-on-retention", options->fail_on_retention,
                    "Also fail (exit 20) when RSS grows from allocator retention or fragmentation, though no call "
                    "site leaks (the report's rss line)");
  command->add_option("--json", options->json,
                      "Also write the report as JSON to this file (docs/check-report.md); - for stdout, which then "
                      "holds the JSON alone (the summary goes to stderr)");
  add_growth_options(command, options->growth);
  command->callback([options] { check(*options); });
}

}  // namespace leakspy::cli
