#pragma once
// The subcommands. Each one adds itself to the app; its callback throws
// leakspy::Error, which main turns into a message and an exit code.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace leakspy::cli {

// Set by a command that wants leakspy to exit with a code other than 0 (for
// `run`, the program's own status).
extern int command_exit_code;

// What followed the first "--" on the command line (CLI11 2.1 does not hand
// it to a prefix command intact, so main splits it off): the program of `run`.
extern std::vector<std::string> arguments_after_separator;

void add_run_command(CLI::App& app);
void add_record_command(CLI::App& app);
void add_inspect_command(CLI::App& app);
void add_top_command(CLI::App& app);
void add_flamegraph_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_growth_command(CLI::App& app);
void add_diff_command(CLI::App& app);
void add_timeline_command(CLI::App& app);
void add_check_command(CLI::App& app);

}  // namespace leakspy::cli
