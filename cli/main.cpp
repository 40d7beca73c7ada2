// leakspy's command line: the one place where errors become messages and
// exit codes (docs/exit-codes.md).

#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/terminal_escaping.h"
#include "cli/usage_errors.h"
#include "common/error.h"

namespace leakspy::cli {
int command_exit_code = kExitOk;
std::vector<std::string> arguments_after_separator;
}

int main(int argc, char** argv) {
  using namespace leakspy;
  // Before the filter: unsynchronised, the standard streams get buffers of
  // their own (much faster for large reports), which the filter then wraps.
  std::ios::sync_with_stdio(false);
  cli::EscapedStandardStreams escaped;  // no target-supplied text drives the terminal
  CLI::App app{"leakspy: find memory leaks in running processes", "leakspy"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("leakspy ") + LEAKSPY_VERSION);
  cli::add_run_command(app);
  cli::add_record_command(app);
  cli::add_inspect_command(app);
  cli::add_top_command(app);
  cli::add_flamegraph_command(app);
  cli::add_export_command(app);
  cli::add_growth_command(app);
  cli::add_diff_command(app);
  cli::add_timeline_command(app);
  cli::add_check_command(app);
  int parsed_argc = argc;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--") {
      cli::arguments_after_separator.assign(argv + i + 1, argv + argc);
      parsed_argc = i;
      break;
    }
  }
  try {
    app.parse(parsed_argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help and --version are "errors" too, that print to stdout and exit 0.
    if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(error);
    std::cerr << "leakspy: " << cli::usage_message(app, error) << "\n";
    return cli::kExitUsage;
  } catch (const Error& error) {
    std::cerr << "leakspy: " << error.what() << "\n";
    return cli::exit_code_for(error.kind());
  } catch (const std::exception& error) {
    std::cerr << "leakspy: internal error: " << error.what() << "\n";
    return cli::kExitInternal;
  }
  return cli::command_exit_code;
}
