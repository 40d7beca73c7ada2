// Issue 15, "exec is followed, always": a program started through an exec
// wrapper (env, a shell's exec, a pyenv shim or any script that execs) is
// recorded as the program it becomes, in the same capture, with the exec
// recorded: `top` names the program's leaking line, not the wrapper's.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/process.h"
#include "tests/support/python_interpreters.h"
#include "tests/support/source_lines.h"

namespace leakspy {
namespace {

using nlohmann::json;

class ExecFollowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = test::make_temp_dir();
    python_ = test::wanted_interpreters().front().path;
    script_ = test::python_target("leak_to_the_end.py");
    line_ = test::line_marked(script_, "# LEAK");
  }
  void TearDown() override { std::system(("rm -rf " + directory_).c_str()); }
  std::string path(const std::string& name) const { return directory_ + "/" + name; }

  static test::ProcessResult leakspy(const std::vector<std::string>& arguments) { return test::run_leakspy(arguments); }
  // Records `program` with `leakspy run`; returns `top --json` of the capture.
  json record_top(const std::vector<std::string>& program, const std::string& name) {
    std::vector<std::string> argv = {"run", "-o", path(name), "--"};
    argv.insert(argv.end(), program.begin(), program.end());
    test::ProcessResult run = leakspy(argv);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.err.find("programs recorded"), std::string::npos) << run.err;
    test::ProcessResult top = leakspy({"top", path(name), "--json", "-n", "3"});
    EXPECT_EQ(top.exit_code, 0) << top.err;
    return json::parse(top.out);
  }
  // The leak's line is row 1, and the capture holds the wrapper, then the
  // program it exec'd into, with the same pid.
  void expect_program_recorded(const json& report, const std::string& final_executable) {
    ASSERT_FALSE(report["sites"].empty());
    EXPECT_EQ(report["sites"][0]["file"], script_) << report["sites"][0].dump(1);
    EXPECT_EQ(report["sites"][0]["line"], line_);
    const json& processes = report["capture"]["processes"];
    ASSERT_GE(processes.size(), 2u) << processes.dump(1);
    const json& last = processes.back();
    EXPECT_EQ(last["origin"], "exec");
    EXPECT_EQ(last["pid"], processes[0]["pid"]);
    EXPECT_NE(last["executable"].get<std::string>().find(final_executable), std::string::npos) << last.dump(1);
    EXPECT_EQ(last["end"], "exited");
    for (size_t i = 0; i + 1 < processes.size(); ++i) EXPECT_EQ(processes[i]["end"], "exec") << processes.dump(1);
  }

  std::string directory_;
  std::string python_;
  std::string script_;
  int line_ = 0;
};

TEST_F(ExecFollowTest, EnvHandsOverToThePythonProgram) {
  if (python_.empty()) GTEST_SKIP() << "Debian's python3 is not installed";
  json report = record_top({"env", "A=1", python_, script_, "1"}, "env.lspy");
  expect_program_recorded(report, "python3");
  EXPECT_EQ(report["capture"]["processes"][0]["executable"], "env");
}

TEST_F(ExecFollowTest, AShellsExecHandsOverToThePythonProgram) {
  if (python_.empty()) GTEST_SKIP() << "Debian's python3 is not installed";
  json report = record_top({"sh", "-c", "exec " + python_ + " " + script_ + " 1"}, "sh.lspy");
  expect_program_recorded(report, "python3");
}

// What a pyenv shim is: a bash script that execs the interpreter.
TEST_F(ExecFollowTest, AScriptThatExecsTheInterpreterIsFollowed) {
  if (python_.empty()) GTEST_SKIP() << "Debian's python3 is not installed";
  std::string shim = path("python3");
  {
    std::ofstream out(shim);
    out << "#!/bin/bash\nset -e\nprogram=\"" << python_ << "\"\nexec \"$program\" \"$@\"\n";
  }
  ASSERT_EQ(::chmod(shim.c_str(), 0755), 0);
  json report = record_top({shim, script_, "1"}, "shim.lspy");
  expect_program_recorded(report, "python3");
  EXPECT_EQ(report["capture"]["processes"][0]["executable"], shim);
}

TEST_F(ExecFollowTest, PyenvsShimIsFollowedWhenPyenvIsInstalled) {
  std::string shim = std::string(std::getenv("HOME") ? std::getenv("HOME") : "/root") + "/.pyenv/shims/python3";
  if (::access(shim.c_str(), X_OK) != 0) GTEST_SKIP() << "pyenv's python3 shim is not installed (" << shim << ")";
  // The shim execs bash, pyenv, env and pyenv-exec in turn before the
  // interpreter: each is a program of the capture, the last one Python's.
  json report = record_top({shim, script_, "1"}, "pyenv.lspy");
  bool found = false;  // among the top sites: pyenv's site-packages may import at start-up
  for (const json& site : report["sites"]) found = found || (site["file"] == script_ && site["line"] == line_);
  EXPECT_TRUE(found) << report["sites"].dump(1);
  const json& last = report["capture"]["processes"].back();
  EXPECT_EQ(last["origin"], "exec");
  EXPECT_NE(last["executable"].get<std::string>().find("/.pyenv/versions/"), std::string::npos) << last.dump(1);
}

TEST_F(ExecFollowTest, ANativeProgramBehindEnvIsRecordedWithItsLeak) {
  json report = record_top({"env", "A=1", test::target_path("leak_to_the_end"), "1"}, "native.lspy");
  ASSERT_FALSE(report["sites"].empty());
  EXPECT_EQ(report["sites"][0]["function"], "keep_page") << report["sites"][0].dump(1);
  EXPECT_EQ(report["capture"]["processes"].back()["origin"], "exec");
}

// An attached agent is not in the program an exec starts: the recording
// ends at the exec, and says so.
TEST_F(ExecFollowTest, RecordEndsAtAnExecAndSaysWhy) {
  if (python_.empty()) GTEST_SKIP() << "Debian's python3 is not installed";
  test::BackgroundProcess target({python_, test::python_target("exec_on_request.py")});
  ASSERT_TRUE(target.wait_for_output("ready", 30));
  // leakspy's stderr on the recorder's stdout, for its "attached" line.
  std::string command = test::leakspy_binary() + " record --pid " + std::to_string(target.pid()) + " -o " +
                        path("record.lspy") + " --duration 60 2>&1";
  test::BackgroundProcess recorder({"sh", "-c", command});
  ASSERT_TRUE(recorder.wait_for_output("recording until", 30)) << recorder.output();
  target.write_stdin("exec\n");
  int code = recorder.wait(30);
  EXPECT_EQ(code, 0) << "it ends at the exec, well before --duration: " << recorder.output();
  EXPECT_NE(recorder.output().find("leakspy record does not follow exec yet"), std::string::npos)
      << recorder.output();
  test::ProcessResult inspect = leakspy({"top", path("record.lspy")});
  EXPECT_NE(inspect.out.find("exec'd /usr/bin/sleep: leakspy record does not follow exec yet"), std::string::npos)
      << inspect.out;
  target.send_signal(SIGKILL);
  target.wait(10);
}

}  // namespace
}  // namespace leakspy
