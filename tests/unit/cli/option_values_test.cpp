// Options whose values leakspy reads itself (issue 16): each bad value is one
// line that names the option and what it accepts.
#include "cli/option_values.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace leakspy::cli {
namespace {

// Parses `arguments` (after the program's name) into `app`; returns the
// Error(Usage) message, or "" when the command line was accepted.
std::string parse(CLI::App& app, std::vector<std::string> arguments) {
  std::reverse(arguments.begin(), arguments.end());  // CLI11 takes them last first
  try {
    app.parse(arguments);
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::Usage);
    return error.what();
  }
  return "";
}

TEST(OptionValues, DurationsTakeUnitsAndABareNumberIsSeconds) {
  CLI::App app;
  double every = 0, duration = 0;
  add_duration_option(&app, "--every", every, "");
  add_positive_duration_option(&app, "--duration", duration, "");
  EXPECT_EQ(parse(app, {"--every", "2m", "--duration", "5"}), "");
  EXPECT_DOUBLE_EQ(every, 120);
  EXPECT_DOUBLE_EQ(duration, 5);
  app.clear();
  EXPECT_EQ(parse(app, {"--duration", "500ms"}), "");
  EXPECT_DOUBLE_EQ(duration, 0.5);
  app.clear();
  EXPECT_EQ(parse(app, {"--duration", "0"}),
            "--duration 0: expected a duration longer than 0, such as 30 (seconds), 500ms, 1.5s, 2m or 1h");
}

TEST(OptionValues, ARateWithoutAUnitOfTimeIsRefused) {
  CLI::App app;
  double rate = -1;
  add_rate_option(&app, "--max-growth", rate, "");
  EXPECT_EQ(parse(app, {"--max-growth", "2MB"}),
            "--max-growth 2MB: a rate needs a unit of time: 2MB/s, 2MB/min or 2MB/h");
  EXPECT_DOUBLE_EQ(rate, -1);
  app.clear();
  EXPECT_EQ(parse(app, {"--max-growth=2MB/min"}), "");
  EXPECT_DOUBLE_EQ(rate, 2e6 / 60);
}

TEST(OptionValues, SizesAndShares) {
  CLI::App app;
  uint64_t size = 0;
  double share = 0.8;
  add_size_option(&app, "--stable-max-growth", size, "");
  CLI::Option* fit = add_share_option(&app, "--leak-min-fit", share, "");
  EXPECT_EQ(fit->get_default_str(), "0.8");
  EXPECT_EQ(parse(app, {"--stable-max-growth", "64KiB", "--leak-min-fit", "1"}), "");
  EXPECT_EQ(size, 65536u);
  EXPECT_DOUBLE_EQ(share, 1);
  app.clear();
  EXPECT_EQ(parse(app, {"--leak-min-fit", "1.5"}), "--leak-min-fit 1.5: expected a number from 0 to 1");
  app.clear();
  EXPECT_EQ(parse(app, {"--leak-min-fit", "high"}), "--leak-min-fit high: expected a number from 0 to 1");
}

TEST(OptionValues, WholeNumbersSayTheirRangeInWords) {
  CLI::App app;
  size_t rows = 20;
  uint32_t slices = 30;
  int pid = 0;
  add_whole_number_option(&app, "-n,--rows", rows, "", size_t{1});
  add_whole_number_option(&app, "--slices", slices, "", uint32_t{2}, uint32_t{10000});
  add_whole_number_option(&app, "-p,--pid", pid, "", 1);
  EXPECT_EQ(parse(app, {"-n", "3", "--slices", "10000", "--pid", "42"}), "");
  EXPECT_EQ(rows, 3u);
  EXPECT_EQ(slices, 10000u);
  EXPECT_EQ(pid, 42);
  app.clear();
  EXPECT_EQ(parse(app, {"-n", "0"}), "-n/--rows 0: expected a whole number of 1 or more");
  app.clear();
  EXPECT_EQ(parse(app, {"--rows", "-3"}), "-n/--rows -3: expected a whole number of 1 or more");
  app.clear();
  EXPECT_EQ(parse(app, {"--slices", "0"}), "--slices 0: expected a whole number from 2 to 10000");
  app.clear();
  EXPECT_EQ(parse(app, {"--slices", "2.5"}), "--slices 2.5: expected a whole number from 2 to 10000");
  app.clear();
  EXPECT_EQ(parse(app, {"--pid", "abc"}), "-p/--pid abc: expected a whole number of 1 or more");
  app.clear();
  // Past the type's largest: the message names the real upper bound.
  EXPECT_EQ(parse(app, {"--pid", "99999999999"}), "-p/--pid 99999999999: expected a whole number from 1 to 2147483647");
}

TEST(OptionValues, ChoicesAreListedInWords) {
  CLI::App app;
  std::string by = "live";
  add_choice_option(&app, "--by", by, {"live", "peak", "allocated", "count"}, "");
  EXPECT_EQ(parse(app, {"--by", "peak"}), "");
  EXPECT_EQ(by, "peak");
  app.clear();
  EXPECT_EQ(parse(app, {"--by", "rss"}), "--by rss: expected live, peak, allocated or count");
}

// A capture is not streamed to stdout: "-o -" of run and record is refused.
TEST(OptionValues, ACaptureGoesToAFileNotToStdout) {
  CLI::App app;
  std::string output;
  add_capture_output_option(&app, "-o,--output", output, "");
  EXPECT_EQ(parse(app, {"-o", "app.lspy"}), "");
  EXPECT_EQ(output, "app.lspy");
  app.clear();
  EXPECT_EQ(parse(app, {"-o", "-"}),
            "-o/--output -: a capture is written to a file, not to stdout; give a file name such as -o app.lspy (the "
            "reports take - for stdout)");
}

}  // namespace
}  // namespace leakspy::cli
