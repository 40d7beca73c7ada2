#pragma once
// Which arguments of `leakspy run` are the program's: what follows run's own
// options (CLI11's prefix command leaves it over), then what follows "--".

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace leakspy::cli {

// The program and its arguments, from `run` after its parse. An option run
// does not know before the program ("run --durration 5 -- ./prog") is a
// mistyped option, not the program's name: throws Error(Usage) naming it and
// the closest known one. A program whose name begins with "-" goes after "--".
std::vector<std::string> program_command_line(const CLI::App& run);

}  // namespace leakspy::cli
