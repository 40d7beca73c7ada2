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

// A program that execs with an environment of its own (no LD_PRELOAD in it)
// is followed all the same: the agent puts its variables back.
TEST_F(ExecFollowTest, AnExecWithAnEnvironmentOfItsOwnIsFollowed) {
  if (python_.empty()) GTEST_SKIP() << "Debian's python3 is not installed";
  json report = record_top(
      {python_, test::python_target("exec_on_request.py"), "--now", "exec-clean-env", python_, script_, "1"},
      "clean.lspy");
  expect_program_recorded(report, "python3");
}

// `leakspy record --pid PID -o CAPTURE --duration 60 EXTRA`, its messages on
// its stdout.
test::BackgroundProcess record_attached(pid_t pid, const std::string& capture, const std::string& extra) {
  return test::BackgroundProcess({"sh", "-c",
                                  test::leakspy_binary() + " record --pid " + std::to_string(pid) + " -o " + capture +
                                      " --duration 60 " + extra + " 2>&1"});
}
// Said once the agent's hooks are in (Python support starts after them):
// what the target does from then on is recorded.
constexpr char kHooksInstalled[] = "found: recording Python frames";

// `record` attaches to a process started without leakspy; the program that
// process execs is recorded on, in the same capture.
TEST_F(ExecFollowTest, RecordFollowsAnExecIntoTheNextProgram) {
  if (python_.empty()) GTEST_SKIP() << "Debian's python3 is not installed";
  test::BackgroundProcess target({python_, test::python_target("exec_on_request.py"), "exec", python_, script_, "2"});
  ASSERT_TRUE(target.wait_for_output("ready", 30));
  test::BackgroundProcess recorder = record_attached(target.pid(), path("record.lspy"), "");
  ASSERT_TRUE(recorder.wait_for_output(kHooksInstalled, 30)) << recorder.output();
  target.write_stdin("exec\n");
  EXPECT_EQ(target.wait(60), 0);
  EXPECT_EQ(recorder.wait(30), 16) << "it ends with the exec'd program's exit, well before --duration: "
                                   << recorder.output();
  EXPECT_EQ(recorder.output().find("exec'd"), std::string::npos) << recorder.output();
  test::ProcessResult top = leakspy({"top", path("record.lspy"), "--json", "-n", "3"});
  ASSERT_EQ(top.exit_code, 0) << top.err;
  json report = json::parse(top.out);
  expect_program_recorded(report, "python3");
}

// With --subprocesses, a child the attached process starts later (subprocess,
// an environment of its own) is recorded; without, it is named as missed.
TEST_F(ExecFollowTest, RecordWithSubprocessesRecordsAChildStartedAfterTheAttach) {
  if (python_.empty()) GTEST_SKIP() << "Debian's python3 is not installed";
  for (bool subprocesses : {true, false}) {
    SCOPED_TRACE(subprocesses ? "--subprocesses" : "without --subprocesses");
    test::BackgroundProcess target(
        {python_, test::python_target("exec_on_request.py"), "subprocess", python_, script_, "1"});
    ASSERT_TRUE(target.wait_for_output("ready", 30));
    std::string capture = path(subprocesses ? "children.lspy" : "alone.lspy");
    test::BackgroundProcess recorder = record_attached(target.pid(), capture, subprocesses ? "--subprocesses" : "");
    ASSERT_TRUE(recorder.wait_for_output(kHooksInstalled, 30)) << recorder.output();
    target.write_stdin("go\n");
    ASSERT_TRUE(target.wait_for_output("started", 60)) << target.output();
    target.write_stdin("end\n");
    EXPECT_EQ(target.wait(30), 0);
    EXPECT_EQ(recorder.wait(30), 16) << "the target's exit ends the recording: " << recorder.output();
    test::ProcessResult top = leakspy({"top", capture, "--json", "-n", "5"});
    ASSERT_EQ(top.exit_code, 0) << top.err;
    json report = json::parse(top.out);
    bool leak_found = false;
    for (const json& site : report["sites"]) leak_found = leak_found || (site["file"] == script_ && site["line"] == line_);
    const json& processes = report["capture"]["processes"];
    if (subprocesses) {
      EXPECT_TRUE(leak_found) << report["sites"].dump(1);
      ASSERT_EQ(processes.size(), 2u) << processes.dump(1);
      EXPECT_EQ(processes[1]["origin"], "child");
      EXPECT_EQ(processes[1]["parent"], 0) << "the index of the attached process";
    } else {
      EXPECT_FALSE(leak_found) << report["sites"].dump(1);
      EXPECT_EQ(processes.size(), 1u) << processes.dump(1);
      // Named at the attach, or when it announced itself (whichever saw it first).
      EXPECT_NE(recorder.output().find("not recorded: record them too with leakspy record --pid " +
                                       std::to_string(target.pid()) + " --subprocesses"),
                std::string::npos)
          << recorder.output();
    }
  }
}

}  // namespace
}  // namespace leakspy
