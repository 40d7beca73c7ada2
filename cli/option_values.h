#pragma once
// Options whose values leakspy reads itself, so that a bad value is one line
// that names the option and says what it accepts (Error(Usage), exit code 2)
// instead of CLI11's generic text ("Value 0 not in range 0.000000 to
// 17976931348623157…"): durations, sizes and rates as analyze/quantities.h
// reads them, whole numbers within bounds, shares and choices.
//
// Each writes into `value`, which must outlive the command; an option not
// given leaves it as it was. Values are read once the command line has been
// parsed, before the command's callback runs. `names` are CLI11's ("-n,--rows").

#include <CLI/CLI.hpp>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace leakspy::cli {

// How messages name an option: "-n,--rows" is "-n/--rows".
std::string option_label(const std::string& names);

// "30", "500ms", "1.5s", "2m", "1h" (analyze::parse_seconds).
CLI::Option* add_duration_option(CLI::App* command, const std::string& names, double& seconds,
                                 const std::string& description);
// The same, refusing 0 (analyze::parse_positive_seconds).
CLI::Option* add_positive_duration_option(CLI::App* command, const std::string& names, double& seconds,
                                          const std::string& description);
// "4096", "64KiB", "1MB" (analyze::parse_byte_count).
CLI::Option* add_size_option(CLI::App* command, const std::string& names, uint64_t& bytes,
                             const std::string& description);
// "1MB/min", "1KiB/s" (analyze::parse_byte_rate): a rate needs a unit of time.
CLI::Option* add_rate_option(CLI::App* command, const std::string& names, double& bytes_per_second,
                             const std::string& description);
// A number from 0 to 1; the help shows the default.
CLI::Option* add_share_option(CLI::App* command, const std::string& names, double& share,
                              const std::string& description);
// Where `run` or `record` writes its capture: any path but "-". A capture
// is not streamed to stdout: it replaces its path only once complete
// (capture/capture_file.h), and run's program writes to the same stdout.
CLI::Option* add_capture_output_option(CLI::App* command, const std::string& names, std::string& path,
                                       const std::string& description);
// One of `choices`.
CLI::Option* add_choice_option(CLI::App* command, const std::string& names, std::string& value,
                               std::vector<std::string> choices, const std::string& description);

// Reads a whole number from `min` to `max` for `option` (a label), or throws Error(Usage).
uint64_t parse_whole_number(const std::string& text, const std::string& option, uint64_t min, uint64_t max,
                            bool max_is_unbounded);

// A whole number from `min` (at least 0) to `max` (at most the type's largest).
template <typename Integer>
CLI::Option* add_whole_number_option(CLI::App* command, const std::string& names, Integer& value,
                                     const std::string& description, Integer min,
                                     Integer max = std::numeric_limits<Integer>::max()) {
  static_assert(std::is_integral_v<Integer>, "whole numbers only");
  std::string label = option_label(names);
  CLI::Option* option = command->add_option(
      names,
      [&value, label, min, max](const CLI::results_t& results) {
        value = static_cast<Integer>(parse_whole_number(results.back(), label, static_cast<uint64_t>(min),
                                                        static_cast<uint64_t>(max),
                                                        max == std::numeric_limits<Integer>::max()));
        return true;
      },
      description);
  return option->type_name("N");
}

}  // namespace leakspy::cli
