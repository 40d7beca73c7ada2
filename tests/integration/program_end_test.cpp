// Issue 15, "the end of a program is not a release": a program recorded to
// its end frees what it leaked in its teardown (the interpreter's
// finalization, an atexit handler). The agent marks where the exit begins,
// and check, top and "live at the end" measure the program's life up to it.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/check_gate.h"
#include "tests/support/process.h"
#include "tests/support/python_interpreters.h"
#include "tests/support/source_lines.h"

namespace leakspy {
namespace {

using nlohmann::json;

// The targets leak for 3 s; verdicts normally need 10 s of recording.
const char* const kSeconds = "3";
const char* const kMinDuration = "2s";

class ProgramEndTest : public ::testing::Test {
 protected:
  void SetUp() override { directory_ = test::make_temp_dir(); }
  void TearDown() override { std::system(("rm -rf " + directory_).c_str()); }
  std::string path(const std::string& name) const { return directory_ + "/" + name; }

  static test::ProcessResult leakspy(const std::vector<std::string>& arguments) { return test::run_leakspy(arguments); }
  std::string record(const std::vector<std::string>& program, const std::string& name) {
    std::vector<std::string> argv = {"run", "-o", path(name), "--"};
    argv.insert(argv.end(), program.begin(), program.end());
    test::ProcessResult result = leakspy(argv);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return path(name);
  }
  static int check(const std::string& capture, json* report) { return test::run_check(capture, kMinDuration, report); }
  static json top(const std::string& capture) {
    test::ProcessResult result = leakspy({"top", capture, "--json", "-n", "5"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return json::parse(result.out);
  }
  std::string directory_;
};

class PythonProgramEndTest : public ProgramEndTest, public ::testing::WithParamInterface<test::Interpreter> {};

TEST_P(PythonProgramEndTest, ALeakFreedByFinalizationFailsCheckAtItsLine) {
  const test::Interpreter& python = GetParam();
  if (python.path.empty()) GTEST_SKIP() << python.name << " is not installed";
  std::string script = test::python_target("leak_to_the_end.py");
  int line = test::line_marked(script, "# LEAK");
  std::string capture = record({python.path, script, kSeconds}, "leak.lspy");

  json gate;
  EXPECT_EQ(check(capture, &gate), 20) << gate.dump(1).substr(0, 3000);
  ASSERT_FALSE(gate["leaks"].empty()) << gate.dump(1).substr(0, 3000);
  EXPECT_EQ(gate["leaks"][0]["file"], script);
  EXPECT_EQ(gate["leaks"][0]["line"], line);
  EXPECT_EQ(gate["capture"]["exit"]["cause"], "Python finalization");

  // Live at the end is what the program held when it began to exit.
  json report = top(capture);
  ASSERT_FALSE(report["sites"].empty());
  EXPECT_EQ(report["sites"][0]["line"], line) << report["sites"][0].dump(1);
  EXPECT_GT(report["sites"][0]["live_bytes"].get<uint64_t>(), 100u * 10000);
  EXPECT_GT(report["capture"]["exit"]["teardown_events"].get<uint64_t>(), 100u)
      << "the finalization's frees are kept in the capture";

  test::ProcessResult inspect = leakspy({"inspect", capture});
  EXPECT_NE(inspect.out.find("the program begins to exit (Python finalization)"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Interpreters, PythonProgramEndTest, ::testing::ValuesIn(test::wanted_interpreters()),
                         [](const ::testing::TestParamInfo<test::Interpreter>& param) { return param.param.name; });

TEST_F(ProgramEndTest, APythonProgramThatReleasesBeforeItsExitPasses) {
  test::Interpreter python = test::wanted_interpreters().front();
  if (python.path.empty()) GTEST_SKIP() << "Debian's python3 is not installed";
  std::string script = test::python_target("leak_to_the_end.py");
  std::string capture = record({python.path, script, kSeconds, "--free"}, "clean.lspy");
  json gate;
  EXPECT_EQ(check(capture, &gate), 0) << gate.dump(1).substr(0, 3000);
  EXPECT_TRUE(gate["leaks"].empty());
}

// The handler runs from exit(), or after main returns (the agent wraps main:
// its own atexit handler, registered first, would run after the program's).
class CProgramEndTest : public ProgramEndTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(CProgramEndTest, ACLeakFreedByAnAtexitHandlerFailsCheckAtItsLine) {
  std::string program = test::target_path("leak_to_the_end");
  std::string source = std::string(LEAKSPY_SOURCE_DIR) + "/tests/targets/leak_to_the_end.c";
  int line = test::line_marked(source, "// LEAK");
  std::vector<std::string> argv = {program, kSeconds};
  if (GetParam() == "return") argv.push_back("--return");
  std::string capture = record(argv, "c-leak.lspy");
  json gate;
  EXPECT_EQ(check(capture, &gate), 20) << gate.dump(1).substr(0, 3000);
  ASSERT_FALSE(gate["leaks"].empty());
  EXPECT_EQ(gate["leaks"][0]["function"], "keep_page");
  EXPECT_EQ(gate["leaks"][0]["line"], line);
  EXPECT_EQ(gate["capture"]["exit"]["cause"], "exit");

  // Every page the loop kept is live at the exit: 4096 bytes each.
  json report = top(capture);
  ASSERT_FALSE(report["sites"].empty());
  EXPECT_EQ(report["sites"][0]["function"], "keep_page");
  uint64_t live = report["sites"][0]["live_bytes"];
  EXPECT_EQ(live % 4096, 0u);
  EXPECT_EQ(live / 4096, report["sites"][0]["allocations"].get<uint64_t>()) << "no page was freed before the exit";
}

INSTANTIATE_TEST_SUITE_P(Ends, CProgramEndTest, ::testing::Values("exit", "return"),
                         [](const auto& test_case) { return test_case.param; });

TEST_F(ProgramEndTest, ACProgramThatFreesBeforeItsExitPasses) {
  std::string capture = record({test::target_path("leak_to_the_end"), kSeconds, "--free"}, "c-clean.lspy");
  json gate;
  EXPECT_EQ(check(capture, &gate), 0) << gate.dump(1).substr(0, 3000);
  EXPECT_TRUE(gate["leaks"].empty());
}

}  // namespace
}  // namespace leakspy
