#include "cli/option_values.h"

#include <charconv>
#include <functional>
#include <sstream>

#include "analyze/quantities.h"
#include "cli/report_output.h"
#include "common/error.h"

namespace leakspy::cli {

namespace {

// An option whose text `read` turns into its value when the command line has been parsed.
CLI::Option* add_read_option(CLI::App* command, const std::string& names, const std::string& description,
                             const std::string& type, std::function<void(const std::string&)> read) {
  CLI::Option* option = command->add_option(
      names,
      [read = std::move(read)](const CLI::results_t& results) {
        read(results.back());
        return true;
      },
      description);
  return option->type_name(type);
}

std::string number_text(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

std::string either_of(const std::vector<std::string>& choices) {
  std::string text;
  for (size_t i = 0; i < choices.size(); ++i) {
    text += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
  }
  return text;
}

}  // namespace

std::string option_label(const std::string& names) {
  std::string label = names;
  for (char& c : label) {
    if (c == ',') c = '/';
  }
  return label;
}

CLI::Option* add_duration_option(CLI::App* command, const std::string& names, double& seconds,
                                 const std::string& description) {
  return add_read_option(command, names, description, "DURATION",
                         [&seconds, label = option_label(names)](const std::string& text) {
                           seconds = analyze::parse_seconds(text, label);
                         });
}

CLI::Option* add_positive_duration_option(CLI::App* command, const std::string& names, double& seconds,
                                          const std::string& description) {
  return add_read_option(command, names, description, "DURATION",
                         [&seconds, label = option_label(names)](const std::string& text) {
                           seconds = analyze::parse_positive_seconds(text, label);
                         });
}

CLI::Option* add_size_option(CLI::App* command, const std::string& names, uint64_t& bytes,
                             const std::string& description) {
  return add_read_option(command, names, description, "SIZE",
                         [&bytes, label = option_label(names)](const std::string& text) {
                           bytes = analyze::parse_byte_count(text, label);
                         });
}

CLI::Option* add_rate_option(CLI::App* command, const std::string& names, double& bytes_per_second,
                             const std::string& description) {
  return add_read_option(command, names, description, "RATE",
                         [&bytes_per_second, label = option_label(names)](const std::string& text) {
                           bytes_per_second = analyze::parse_byte_rate(text, label);
                         });
}

CLI::Option* add_share_option(CLI::App* command, const std::string& names, double& share,
                              const std::string& description) {
  return add_read_option(command, names, description, "SHARE",
                         [&share, label = option_label(names)](const std::string& text) {
                           double value = -1;
                           const char* end = text.data() + text.size();
                           auto [after, error] = std::from_chars(text.data(), end, value);
                           if (error != std::errc() || after != end || !(value >= 0 && value <= 1)) {
                             throw Error(ErrorKind::Usage, label + " " + text + ": expected a number from 0 to 1");
                           }
                           share = value;
                         })
      ->default_str(number_text(share));
}

CLI::Option* add_capture_output_option(CLI::App* command, const std::string& names, std::string& path,
                                       const std::string& description) {
  return add_read_option(command, names, description, "FILE",
                         [&path, label = option_label(names)](const std::string& text) {
                           if (is_stdout(text)) {
                             throw Error(ErrorKind::Usage, label + " " + text +
                                                               ": a capture is written to a file, not to stdout; "
                                                               "give a file name such as -o app.lspy (the reports "
                                                               "take - for stdout)");
                           }
                           path = text;
                         });
}

CLI::Option* add_choice_option(CLI::App* command, const std::string& names, std::string& value,
                               std::vector<std::string> choices, const std::string& description) {
  return add_read_option(command, names, description, "WORD",
                         [&value, label = option_label(names), choices](const std::string& text) {
                           for (const std::string& choice : choices) {
                             if (text == choice) {
                               value = text;
                               return;
                             }
                           }
                           throw Error(ErrorKind::Usage, label + " " + text + ": expected " + either_of(choices));
                         });
}

uint64_t parse_whole_number(const std::string& text, const std::string& option, uint64_t min, uint64_t max,
                            bool max_is_unbounded) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [after, error] = std::from_chars(text.data(), end, value);
  bool too_large = error == std::errc::result_out_of_range || (error == std::errc() && after == end && value > max);
  if (error == std::errc() && after == end && value >= min && value <= max) return value;
  std::string range = max_is_unbounded && !too_large
                          ? "of " + std::to_string(min) + " or more"
                          : "from " + std::to_string(min) + " to " + std::to_string(max);
  throw Error(ErrorKind::Usage, option + " " + text + ": expected a whole number " + range);
}

}  // namespace leakspy::cli
