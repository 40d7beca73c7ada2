// Command-line mistakes as one line that says what to do (issue 16): an
// unknown command lists the commands, an unknown option names the closest.
#include "cli/usage_errors.h"

#include <gtest/gtest.h>

#include "cli/closest_name.h"

namespace leakspy::cli {
namespace {

TEST(ClosestName, AFewEditsAwayOrTheOnlyOneBegun) {
  std::vector<std::string> options = {"--help", "--output", "--duration", "--native", "--root", "-o"};
  EXPECT_EQ(closest_name("--durration", options), "--duration");
  EXPECT_EQ(closest_name("--duraton", options), "--duration");
  EXPECT_EQ(closest_name("--natvie", options), "--native");
  EXPECT_EQ(closest_name("--dur", options), "--duration");
  EXPECT_EQ(closest_name("--frobnicate", options), "");
  EXPECT_EQ(closest_name("-x", options), "");
  std::vector<std::string> commands = {"run", "record", "inspect", "top", "growth", "diff", "check"};
  EXPECT_EQ(closest_name("grwoth", commands), "growth");
  EXPECT_EQ(closest_name("live", commands), "");
  EXPECT_EQ(closest_name("rec", commands), "record");
}

// A command line like leakspy's, parsed until it throws.
class UsageErrors : public ::testing::Test {
 protected:
  UsageErrors() {
    app_.require_subcommand(1);
    CLI::App* record = app_.add_subcommand("record", "");
    record->add_option("-p,--pid", pid_)->required();
    record->add_option("--duration", duration_);
    CLI::App* top = app_.add_subcommand("top", "");
    top->add_option("capture", capture_)->required();
  }
  std::string message(std::vector<std::string> arguments) {
    std::reverse(arguments.begin(), arguments.end());
    try {
      app_.parse(arguments);
    } catch (const CLI::ParseError& error) {
      return usage_message(app_, error);
    }
    return "";
  }

  CLI::App app_{"test", "leakspy"};
  int pid_ = 0;
  double duration_ = 0;
  std::string capture_;
};

TEST_F(UsageErrors, AnUnknownCommandListsTheCommands) {
  EXPECT_EQ(message({"live"}),
            "unknown command live; the commands are record and top (leakspy --help says what each does)");
  EXPECT_EQ(message({"recrod", "--pid", "1"}),
            "unknown command recrod (did you mean record?); the commands are record and top (leakspy --help says what "
            "each does)");
  EXPECT_EQ(message({}), "no command given: leakspy COMMAND ..., where COMMAND is record or top (leakspy --help says "
                         "what each does)");
}

TEST_F(UsageErrors, AnUnknownOptionNamesTheClosest) {
  EXPECT_EQ(message({"record", "--pid", "1", "--durration", "5"}),
            "record: unknown option --durration (did you mean --duration?)");
  EXPECT_EQ(message({"record", "--pid", "1", "--frobnicate"}),
            "record: unknown option --frobnicate; leakspy record --help lists the options");
  EXPECT_EQ(message({"--verbose", "top", "x"}), "unknown option --verbose; leakspy --help lists the options");
  EXPECT_EQ(message({"top", "x", "y"}), "top: unexpected argument y; leakspy top --help says what it takes");
}

TEST_F(UsageErrors, OtherErrorsNameTheCommandAndItsHelp) {
  EXPECT_EQ(message({"record"}), "record: --pid is required; leakspy record --help lists the options");
  EXPECT_EQ(message({"top"}), "top: capture is required; leakspy top --help lists the options");
}

}  // namespace
}  // namespace leakspy::cli
