#include "cli/program_arguments.h"

#include "cli/commands.h"
#include "cli/usage_errors.h"
#include "common/error.h"

namespace leakspy::cli {

std::vector<std::string> program_command_line(const CLI::App& run) {
  std::vector<std::string> command = run.remaining();
  if (!command.empty() && command.front().size() > 1 && command.front()[0] == '-') {
    throw Error(ErrorKind::Usage, unknown_option_message(run, command.front()));
  }
  if (!command.empty() && !arguments_after_separator.empty()) command.push_back("--");
  command.insert(command.end(), arguments_after_separator.begin(), arguments_after_separator.end());
  return command;
}

}  // namespace leakspy::cli
