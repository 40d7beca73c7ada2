#include "cli/usage_errors.h"

#include <vector>

#include "cli/closest_name.h"

namespace leakspy::cli {

namespace {

std::vector<std::string> command_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* command : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(command->get_name());
  }
  return names;
}

// "a, b and c" (or "a, b or c").
std::string listed(const std::vector<std::string>& names, const std::string& last_joiner) {
  std::string text;
  for (size_t i = 0; i < names.size(); ++i) {
    text += (i == 0 ? "" : i + 1 == names.size() ? " " + last_joiner + " " : ", ") + names[i];
  }
  return text;
}

std::vector<std::string> option_names(const CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::Option* option : command.get_options()) {
    for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
    for (const std::string& name : option->get_snames()) names.push_back("-" + name);
  }
  return names;
}

// "leakspy record --help" or "leakspy --help".
std::string help_for(const CLI::App& command) {
  return command.get_parent() == nullptr ? "leakspy --help" : "leakspy " + command.get_name() + " --help";
}

// "record: " for a subcommand, "" for leakspy itself.
std::string prefix_for(const CLI::App& command) {
  return command.get_parent() == nullptr ? "" : command.get_name() + ": ";
}

bool is_option(const std::string& argument) { return argument.size() > 1 && argument[0] == '-'; }

std::string unknown_command_message(const CLI::App& app, const std::string& typed) {
  std::vector<std::string> names = command_names(app);
  std::string closest = closest_name(typed, names);
  return "unknown command " + typed + (closest.empty() ? "" : " (did you mean " + closest + "?)") +
         "; the commands are " + listed(names, "and") + " (leakspy --help says what each does)";
}

std::string unexpected_argument_message(const CLI::App& command, const std::string& argument) {
  return prefix_for(command) + "unexpected argument " + argument + "; " + help_for(command) + " says what it takes";
}

// The first argument that `command`, or a subcommand it selected, did not
// recognise, with the command it was given to.
const CLI::App* unrecognised(const CLI::App& command, std::string* argument) {
  std::vector<std::string> left = command.remaining();
  if (!left.empty() && !command.get_prefix_command()) {
    *argument = left.front();
    return &command;
  }
  for (const CLI::App* selected : command.get_subcommands()) {
    if (const CLI::App* found = unrecognised(*selected, argument)) return found;
  }
  return nullptr;
}

const CLI::App& innermost_selected(const CLI::App& app) {
  std::vector<CLI::App*> selected = app.get_subcommands();
  return selected.empty() ? app : innermost_selected(*selected.front());
}

}  // namespace

std::string unknown_option_message(const CLI::App& command, const std::string& argument) {
  std::string typed = argument.substr(0, argument.find('='));
  std::string closest = closest_name(typed, option_names(command));
  return prefix_for(command) + "unknown option " + typed +
         (closest.empty() ? "; " + help_for(command) + " lists the options" : " (did you mean " + closest + "?)");
}

std::string usage_message(const CLI::App& app, const CLI::ParseError& error) {
  std::string argument;
  const CLI::App* command = unrecognised(app, &argument);
  if (command == &app && app.get_subcommands().empty() && !is_option(argument)) {
    return unknown_command_message(app, argument);
  }
  if (command != nullptr) {
    return is_option(argument) ? unknown_option_message(*command, argument)
                               : unexpected_argument_message(*command, argument);
  }
  if (app.get_subcommands().empty()) {
    return "no command given: leakspy COMMAND ..., where COMMAND is " + listed(command_names(app), "or") +
           " (leakspy --help says what each does)";
  }
  const CLI::App& failed = innermost_selected(app);
  return prefix_for(failed) + error.what() + "; " + help_for(failed) + " lists the options";
}

}  // namespace leakspy::cli
