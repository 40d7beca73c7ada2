#pragma once
// Mistakes on the command line as one line that says what to do (exit code 2,
// docs/exit-codes.md): CLI11's parse errors, reworded where CLI11 says too
// little ("A subcommand is required" for an unknown command), and unknown
// options with the closest known one. main prefixes "leakspy: ".

#include <CLI/CLI.hpp>
#include <string>

namespace leakspy::cli {

// `app` is leakspy's root command after the parse that threw `error`; its
// selected subcommands and what they did not recognise say what went wrong.
std::string usage_message(const CLI::App& app, const CLI::ParseError& error);

// "record: unknown option --durration (did you mean --duration?)", for
// `argument` as typed ("--durration=5" names --durration).
std::string unknown_option_message(const CLI::App& command, const std::string& argument);

}  // namespace leakspy::cli
