// Issue 17: frames of a library dlopen'ed by a relative path once recording
// runs are symbolized. The agent sends the stack nodes of a cycle before the
// modules loaded in it, and the path it reports is relative to the target's
// directory, not leakspy's: `top` row 1 must still be the library's function
// and file:line, under run and under record --pid.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/process.h"
#include "tests/support/source_lines.h"

namespace leakspy {
namespace {

using nlohmann::json;

class LateLibraryTest : public ::testing::Test {
 protected:
  void SetUp() override { directory_ = test::make_temp_dir(); }
  void TearDown() override { std::system(("rm -rf " + directory_).c_str()); }

  // The program, started from the targets' directory (its dlopen path is relative).
  static std::string program(const std::string& arguments) {
    std::string targets = test::target_path("late_dlopen");
    targets.resize(targets.rfind('/'));
    return "cd '" + targets + "' && exec ./late_dlopen " + arguments;
  }
  void expect_library_site_first(const std::string& capture) {
    test::ProcessResult top = test::run_leakspy({"top", capture, "--json", "-n", "1"});
    ASSERT_EQ(top.exit_code, 0) << top.err;
    json report = json::parse(top.out);
    ASSERT_FALSE(report["sites"].empty()) << top.out;
    const json& site = report["sites"][0];
    std::string source = std::string(LEAKSPY_SOURCE_DIR) + "/tests/targets/late_library.c";
    EXPECT_EQ(site["function"], "late_keep") << site.dump(1);
    EXPECT_NE(site["file"].get<std::string>().find("late_library.c"), std::string::npos) << site.dump(1);
    EXPECT_EQ(site["line"], test::line_marked(source, "// LEAK")) << site.dump(1);
    EXPECT_EQ(site["live_bytes"], 1000u * 1000) << site.dump(1);
  }

  std::string directory_;
};

TEST_F(LateLibraryTest, ALibraryDlopenedAfterRunStartedIsSymbolized) {
  std::string capture = directory_ + "/run.lspy";
  test::ProcessResult run = test::run_leakspy({"run", "-o", capture, "--", "sh", "-c", program("")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  expect_library_site_first(capture);
}

TEST_F(LateLibraryTest, ALibraryDlopenedAfterTheAttachIsSymbolized) {
  test::BackgroundProcess target({"sh", "-c", program("--wait")});
  ASSERT_TRUE(target.wait_for_output("ready", 30));
  std::string capture = directory_ + "/record.lspy";
  test::BackgroundProcess recorder({"sh", "-c",
                                    test::leakspy_binary() + " record --pid " + std::to_string(target.pid()) +
                                        " -o " + capture + " --duration 60 2>&1"});
  ASSERT_TRUE(recorder.wait_for_output("recording until", 30)) << recorder.output();
  target.write_stdin("go\n");
  EXPECT_EQ(target.wait(30), 0) << target.output();
  EXPECT_EQ(recorder.wait(30), 16) << "the target's exit ends the recording: " << recorder.output();
  expect_library_site_first(capture);
}

}  // namespace
}  // namespace leakspy
