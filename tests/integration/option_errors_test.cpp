// Issue 16, "option errors are one line that says what to do": each mistake
// on the command line has its exact message on stderr, alone on one line,
// exit code 2 (docs/exit-codes.md), nothing on stdout and no file left;
// "-" as an output path is stdout, which then carries that output alone.
// The reports read the synthetic fixture capture; nothing here is timed.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/support/process.h"
#include "tests/support/report_fixture.h"

namespace leakspy {
namespace {

using test::run_process;

constexpr int kExitUsage = 2;

class OptionErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = test::make_temp_dir();
    capture_ = directory_ + "/fixture.lspy";
    test::write_report_fixture(capture_);
  }
  void TearDown() override { std::system(("rm -rf " + directory_).c_str()); }

  static test::ProcessResult leakspy(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), test::leakspy_binary());
    return run_process(arguments);
  }
  // leakspy run from within the test's directory, where a default capture name would land.
  test::ProcessResult leakspy_run_here(const std::string& arguments) const {
    return run_process({"/bin/sh", "-c", "cd '" + directory_ + "' && exec '" + test::leakspy_binary() + "' run " +
                                             arguments});
  }
  // The usage error `message`, exactly, and nothing else.
  static void expect_usage_error(const test::ProcessResult& result, const std::string& message) {
    EXPECT_EQ(result.exit_code, kExitUsage) << result.err;
    EXPECT_EQ(result.err, "leakspy: " + message + "\n");
    EXPECT_EQ(result.out, "");
  }
  std::vector<std::string> names() const {
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(directory_)) found.push_back(entry.path().filename());
    std::sort(found.begin(), found.end());
    return found;
  }

  std::string directory_;
  std::string capture_;
};

// "--duration 5s" printed "Value 5s not in range 0.000000 to 1797693…" (300+ digits).
TEST_F(OptionErrorTest, DurationsTakeSecondsOrAUnit) {
  for (const char* duration : {"5", "5s", "1.5s", "500ms", "2m", "1h"}) {
    test::ProcessResult result =
        leakspy({"run", "-o", directory_ + "/d.lspy", "--duration", duration, "/bin/sh", "-c", "exit 3"});
    EXPECT_EQ(result.exit_code, 3) << duration << ": " << result.err;
  }
  const std::string forms = "30 (seconds), 500ms, 1.5s, 2m or 1h";
  expect_usage_error(leakspy({"run", "--duration", "0", "/bin/true"}),
                     "--duration 0: expected a duration longer than 0, such as " + forms);
  expect_usage_error(leakspy({"record", "--pid", "1", "--duration", "5x"}),
                     "--duration 5x: expected a duration such as " + forms);
  expect_usage_error(leakspy({"growth", capture_, "--every", "10 parsecs"}),
                     "--every 10 parsecs: expected a duration such as " + forms);
  expect_usage_error(leakspy({"check", capture_, "--min-duration", "soon"}),
                     "--min-duration soon: expected a duration such as " + forms);
  expect_usage_error(leakspy({"flamegraph", capture_, "--diff", "--from", "1s", "--to", "later"}),
                     "--to later: expected a duration such as " + forms);
}

TEST_F(OptionErrorTest, NumbersOutOfRangeNameTheOptionAndTheRangeInWords) {
  expect_usage_error(leakspy({"top", capture_, "-n", "0"}), "-n/--rows 0: expected a whole number of 1 or more");
  expect_usage_error(leakspy({"growth", capture_, "--slices", "0"}),
                     "--slices 0: expected a whole number from 2 to 10000");
  expect_usage_error(leakspy({"timeline", capture_, "--sites", "21"}),
                     "--sites 21: expected a whole number from 0 to 20");
  expect_usage_error(leakspy({"flamegraph", capture_, "--width", "10"}),
                     "--width 10: expected a whole number from 200 to 20000");
  expect_usage_error(leakspy({"check", capture_, "--leak-min-fit", "1.5"}),
                     "--leak-min-fit 1.5: expected a number from 0 to 1");
  expect_usage_error(leakspy({"record", "--pid", "abc"}), "-p/--pid abc: expected a whole number of 1 or more");
  expect_usage_error(leakspy({"top", capture_, "--by", "rss"}), "--by rss: expected live, peak, allocated or count");
  EXPECT_EQ(names(), std::vector<std::string>{"fixture.lspy"});
}

// "--max-growth 2MB" was silently 2 MB/s.
TEST_F(OptionErrorTest, ARateNeedsAUnitOfTime) {
  expect_usage_error(leakspy({"check", capture_, "--max-growth", "2MB"}),
                     "--max-growth 2MB: a rate needs a unit of time: 2MB/s, 2MB/min or 2MB/h");
  expect_usage_error(leakspy({"growth", capture_, "--leak-min-slope", "256"}),
                     "--leak-min-slope 256: a rate needs a unit of time: 256/s, 256/min or 256/h");
  expect_usage_error(leakspy({"check", capture_, "--max-growth", "fast"}),
                     "--max-growth fast: expected a rate such as 1MB/min, 1KiB/s or 10M/h");
  EXPECT_EQ(leakspy({"check", capture_, "--max-growth", "2MB/min"}).exit_code, 0);
  EXPECT_EQ(leakspy({"growth", capture_, "--leak-min-slope", "100KiB/h"}).exit_code, 0);
}

// "leakspy live" said only "A subcommand is required".
TEST_F(OptionErrorTest, AnUnknownCommandListsTheCommands) {
  const std::string commands =
      "run, record, inspect, top, flamegraph, export, growth, diff, timeline and check (leakspy --help says what "
      "each does)";
  expect_usage_error(leakspy({"live"}), "unknown command live; the commands are " + commands);
  expect_usage_error(leakspy({"grwoth", capture_}),
                     "unknown command grwoth (did you mean growth?); the commands are " + commands);
  expect_usage_error(leakspy({}),
                     "no command given: leakspy COMMAND ..., where COMMAND is run, record, inspect, top, flamegraph, "
                     "export, growth, diff, timeline or check (leakspy --help says what each does)");
}

// "run --durration 5 -- ./prog" ran "--durration" ("cannot run --durration")
// and left leakspy---durration-PID.lspy behind.
TEST_F(OptionErrorTest, AnUnknownOptionIsAnErrorNotAProgram) {
  expect_usage_error(leakspy_run_here("--durration 5 -- /bin/sh -c 'touch started'"),
                     "run: unknown option --durration (did you mean --duration?)");
  expect_usage_error(leakspy_run_here("--frobnicate /bin/sh -c 'touch started'"),
                     "run: unknown option --frobnicate; leakspy run --help lists the options");
  EXPECT_EQ(names(), std::vector<std::string>{"fixture.lspy"});  // no capture, and the program did not start
  expect_usage_error(leakspy({"record", "--pid", "1", "--durration", "5"}),
                     "record: unknown option --durration (did you mean --duration?)");
  expect_usage_error(leakspy({"top", capture_, "--row", "3"}), "top: unknown option --row (did you mean --rows?)");
  expect_usage_error(leakspy({"record"}), "record: --pid is required; leakspy record --help lists the options");
  // After "--", what looks like an option is the program's.
  test::ProcessResult program = leakspy_run_here("-o x.lspy -- /bin/sh -c 'exit 7' --durration");
  EXPECT_EQ(program.exit_code, 7) << program.err;
}

// "check --json -" mixed the text summary into the JSON on stdout.
TEST_F(OptionErrorTest, DashIsStdoutAndStdoutHoldsThatOutputAlone) {
  test::ProcessResult check = leakspy({"check", capture_, "--json", "-"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  nlohmann::json report = nlohmann::json::parse(check.out);  // the whole of stdout
  EXPECT_EQ(report["status"], "inconclusive");
  EXPECT_NE(check.err.find("\nINCONCLUSIVE "), std::string::npos) << check.err;  // the summary, on stderr

  for (const char* command : {"flamegraph", "timeline"}) {
    test::ProcessResult svg = leakspy({command, capture_, "-o", "-"});
    EXPECT_EQ(svg.exit_code, 0) << svg.err;
    EXPECT_EQ(svg.out.rfind("<?xml", 0), 0u) << command;
    EXPECT_EQ(svg.out.substr(svg.out.size() - 7), "</svg>\n") << command;
    EXPECT_EQ(svg.err, "") << command;
  }
  test::ProcessResult collapsed = leakspy({"export", capture_, "--format", "collapsed", "-o", "-"});
  EXPECT_EQ(collapsed.exit_code, 0) << collapsed.err;
  EXPECT_NE(collapsed.out.find("\nmain (/src/shop/server.cpp:40);parse_json(char const*, int&) "
                               "(/src/shop/json.cpp:88) 2000\n"),
            std::string::npos)
      << collapsed.out;
  EXPECT_EQ(names(), std::vector<std::string>{"fixture.lspy"});  // no file named "-"
}

// A capture is not streamed to stdout (docs/exit-codes.md, README).
TEST_F(OptionErrorTest, ACaptureIsNotWrittenToStdout) {
  const std::string message =
      "-o/--output -: a capture is written to a file, not to stdout; give a file name such as -o app.lspy (the "
      "reports take - for stdout)";
  expect_usage_error(leakspy_run_here("-o - /bin/sh -c 'touch started'"), message);
  expect_usage_error(leakspy({"record", "--pid", "1", "-o", "-"}), message);
  EXPECT_EQ(names(), std::vector<std::string>{"fixture.lspy"});
}

}  // namespace
}  // namespace leakspy
