// Text a target controls (function and file names, notes) is printed as
// text: no escape sequence from a recorded program reaches the terminal of
// whoever reads the report (often root).
#include <gtest/gtest.h>

#include "tests/support/process.h"
#include "tests/support/python_interpreters.h"

namespace leakspy {
namespace {

TEST(HostileTextTest, EscapeSequencesInPythonNamesArePrintedAsText) {
  test::Interpreter debian = test::wanted_interpreters().front();
  if (debian.path.empty()) GTEST_SKIP() << "Debian's python3 is not installed";
  std::string capture = test::make_temp_dir() + "/hostile.lspy";
  test::BackgroundProcess recording(
      {test::leakspy_binary(), "run", "-o", capture, "--duration", "1", "--", debian.path,
       test::python_target("hostile_names.py")});
  ASSERT_TRUE(recording.wait_for_output("ready", 60));
  recording.close_stdin();
  ASSERT_EQ(recording.wait(60), 0);

  for (const std::vector<std::string>& report :
       {std::vector<std::string>{"top", capture, "-n", "5", "--by", "allocated"}, std::vector<std::string>{"inspect", capture}}) {
    std::vector<std::string> command = {test::leakspy_binary()};
    command.insert(command.end(), report.begin(), report.end());
    test::ProcessResult result = test::run_process(command, 60);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out.find('\x1b'), std::string::npos) << report[0] << " printed a raw escape character";
    EXPECT_EQ(result.out.find('\x07'), std::string::npos) << report[0];
    EXPECT_NE(result.out.find("\\x1b]0;pwned\\x07\\x1b[2Jleak"), std::string::npos) << report[0] << ": " << result.out.substr(0, 2000);
  }
}

}  // namespace
}  // namespace leakspy
