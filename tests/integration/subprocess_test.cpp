// Issue 15, "descendants are recorded on request" and "say what was missed":
// `leakspy run --subprocesses` records the programs the program's children
// run (a shell's child, multiprocessing's spawned workers), each a process of
// the capture, and reports aggregate their sites; without it, and for forks
// that never exec, the recording says how many child processes it missed.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/process.h"
#include "tests/support/python_interpreters.h"
#include "tests/support/source_lines.h"

namespace leakspy {
namespace {

using nlohmann::json;

class SubprocessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = test::make_temp_dir();
    python_ = test::wanted_interpreters().front().path;
  }
  void TearDown() override { std::system(("rm -rf " + directory_).c_str()); }
  std::string path(const std::string& name) const { return directory_ + "/" + name; }

  static test::ProcessResult leakspy(const std::vector<std::string>& arguments) { return test::run_leakspy(arguments); }
  // `leakspy run [options] -- program`; the run's stderr in `run_err`.
  std::string record(const std::vector<std::string>& options, const std::vector<std::string>& program,
                     const std::string& name) {
    std::vector<std::string> argv = {"run", "-o", path(name)};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back("--");
    argv.insert(argv.end(), program.begin(), program.end());
    test::ProcessResult run = leakspy(argv);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    run_err_ = run.err;
    return path(name);
  }
  static json top_json(const std::string& capture) {
    test::ProcessResult top = leakspy({"top", capture, "--json", "-n", "5"});
    EXPECT_EQ(top.exit_code, 0) << top.err;
    return json::parse(top.out);
  }

  std::string directory_;
  std::string python_;
  std::string run_err_;
};

TEST_F(SubprocessTest, AShellsChildIsCountedWithoutSubprocessesAndRecordedWithIt) {
  if (python_.empty()) GTEST_SKIP() << "Debian's python3 is not installed";
  std::string script = test::python_target("leak_to_the_end.py");
  int line = test::line_marked(script, "# LEAK");
  std::string shell = python_ + " " + script + " 1; true";

  std::string missed = record({}, {"sh", "-c", shell}, "missed.lspy");
  const std::string warning =
      "1 child process was not recorded: record the programs they run with leakspy run --subprocesses";
  EXPECT_NE(run_err_.find(warning), std::string::npos) << run_err_;
  test::ProcessResult top = leakspy({"top", missed});
  EXPECT_NE(top.out.find("WARNING    " + warning), std::string::npos) << top.out;

  std::string recorded = record({"--subprocesses"}, {"sh", "-c", shell}, "recorded.lspy");
  json report = top_json(recorded);
  ASSERT_FALSE(report["sites"].empty());
  EXPECT_EQ(report["sites"][0]["file"], script) << report["sites"][0].dump(1);
  EXPECT_EQ(report["sites"][0]["line"], line);
  const json& processes = report["capture"]["processes"];
  ASSERT_EQ(processes.size(), 2u) << processes.dump(1);
  EXPECT_EQ(processes[1]["origin"], "child");
  EXPECT_EQ(processes[1]["parent"], 0);
  EXPECT_NE(processes[1]["executable"].get<std::string>().find("python3"), std::string::npos);
  EXPECT_EQ(processes[1]["end"], "exited");
  for (const json& caveat : report["caveats"]) {
    EXPECT_EQ(caveat.get<std::string>().find("not recorded"), std::string::npos) << caveat;
  }
}

// multiprocessing's start methods: spawn runs each worker as a new
// interpreter (an exec), fork forks the parent, forkserver forks a spawned
// server. Either way both workers are recorded, and their leaking line is
// one row that says "2 processes".
class PoolStartMethodTest : public SubprocessTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(PoolStartMethodTest, PoolWorkersLeakingAtOneLineAreOneRowOfTwoProcesses) {
  if (python_.empty()) GTEST_SKIP() << "Debian's python3 is not installed";
  std::string script = test::python_target("pool_worker_leak.py");
  int line = test::line_marked(script, "# LEAK");
  std::string capture = record({"--subprocesses"}, {python_, script, GetParam()}, "pool.lspy");
  json report = top_json(capture);
  // Among the top sites: the spawned interpreters' start-up imports (their
  // `-c` line) hold more than the leak in so short a run.
  json leak;
  for (const json& site : report["sites"]) {
    if (site["file"] == script && site["line"] == line) leak = site;
  }
  ASSERT_FALSE(leak.is_null()) << report["sites"].dump(1);
  EXPECT_EQ(leak["processes"], 2) << leak.dump(1);
  EXPECT_EQ(leak["pids"].size(), 2u) << leak.dump(1);
  // 400 tasks, one 10,000-byte buffer each (plus the bytearray's header);
  // the pool kills its workers at the end, which costs the last moments of
  // their events (up to a drain cycle).
  EXPECT_GE(leak["live_bytes"].get<uint64_t>(), 390u * 10000);
  EXPECT_LT(leak["live_bytes"].get<uint64_t>(), 400u * 10200);
  test::ProcessResult text = leakspy({"top", capture, "-n", "5"});
  EXPECT_NE(text.out.find("pool_worker_leak.py:" + std::to_string(line) + ")  [2 processes]"), std::string::npos)
      << text.out;
}

INSTANTIATE_TEST_SUITE_P(StartMethods, PoolStartMethodTest, ::testing::Values("fork", "spawn", "forkserver"),
                         [](const auto& test_case) { return test_case.param; });

// A C program forks 3 children that do not exec; one leaks exactly 100 x
// 4096 bytes. With --subprocesses each child is a process of the capture,
// and the leak is exactly that, in that child: one row of --by-process,
// nothing live at the line in the others (--process).
TEST_F(SubprocessTest, ForkedChildrenAreRecordedAndTheLeakIsTheOneChildsExactly) {
  std::string source = std::string(LEAKSPY_SOURCE_DIR) + "/tests/targets/fork_children.c";
  int line = test::line_marked(source, "// LEAK");
  std::string capture = record({"--subprocesses"}, {test::target_path("fork_children")}, "forks.lspy");
  EXPECT_EQ(run_err_.find("not recorded"), std::string::npos) << run_err_;
  test::ProcessResult top = leakspy({"top", capture, "--by-process", "--json"});
  ASSERT_EQ(top.exit_code, 0) << top.err;
  json report = json::parse(top.out);
  const json& processes = report["capture"]["processes"];
  ASSERT_EQ(processes.size(), 4u) << processes.dump(1);
  std::vector<json> leak_rows;
  for (const json& site : report["sites"]) {
    if (site["line"] == line && site["live_bytes"].get<uint64_t>() > 0) leak_rows.push_back(site);
  }
  ASSERT_EQ(leak_rows.size(), 1u) << report["sites"].dump(1);
  EXPECT_EQ(leak_rows[0]["live_bytes"], 100u * 4096);
  ASSERT_EQ(leak_rows[0]["pids"].size(), 1u);
  uint32_t leaking = leak_rows[0]["pids"][0];
  for (size_t i = 1; i < processes.size(); ++i) {
    EXPECT_EQ(processes[i]["origin"], "child") << processes[i].dump();
    EXPECT_EQ(processes[i]["parent"], 0) << processes[i].dump();
    uint32_t pid = processes[i]["pid"];
    test::ProcessResult one = leakspy({"top", capture, "--process", std::to_string(pid), "--by", "allocated", "--json"});
    ASSERT_EQ(one.exit_code, 0) << one.err;
    uint64_t live = 0, allocated = 0;
    json sites = json::parse(one.out)["sites"];
    for (const json& site : sites) {
      if (site["line"] != line) continue;
      live += site["live_bytes"].get<uint64_t>();
      allocated += site["allocated_bytes"].get<uint64_t>();
    }
    EXPECT_EQ(live, pid == leaking ? 100u * 4096 : 0u) << "process " << pid;
    EXPECT_EQ(allocated, 100u * 4096) << "process " << pid;  // every child allocates, two free
  }
  test::ProcessResult missing = leakspy({"top", capture, "--process", "1"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("recorded no process with that pid"), std::string::npos) << missing.err;
}

// A C program starts a leaking program with posix_spawn, posix_spawnp, and
// vfork then execve with an environment of its own (no LD_PRELOAD in it):
// each child is recorded, and the leak is one row of 3 processes.
TEST_F(SubprocessTest, ChildrenStartedByPosixSpawnAndVforkAreRecorded) {
  std::string capture = record({"--subprocesses"},
                               {test::target_path("spawn_children"), test::target_path("leak_to_the_end"), "0.3"},
                               "spawned.lspy");
  EXPECT_EQ(run_err_.find("not recorded"), std::string::npos) << run_err_;
  json report = top_json(capture);
  const json& processes = report["capture"]["processes"];
  ASSERT_EQ(processes.size(), 4u) << processes.dump(1);
  for (size_t i = 1; i < processes.size(); ++i) {
    EXPECT_EQ(processes[i]["origin"], "child") << processes[i].dump();
    EXPECT_NE(processes[i]["executable"].get<std::string>().find("leak_to_the_end"), std::string::npos);
  }
  ASSERT_FALSE(report["sites"].empty());
  EXPECT_EQ(report["sites"][0]["function"], "keep_page") << report["sites"].dump(1);
  EXPECT_EQ(report["sites"][0]["processes"], 3) << report["sites"][0].dump(1);
}

// Without --subprocesses, forks that never exec are not recorded: the
// recording says how many.
TEST_F(SubprocessTest, ForkedChildrenThatDoNotExecAreCounted) {
  std::string capture = record({}, {test::target_path("fork_children")}, "forks.lspy");
  const std::string warning = "3 child processes were not recorded (3 of them forked and never exec'd a program)";
  EXPECT_NE(run_err_.find(warning), std::string::npos) << run_err_;
  json report = top_json(capture);
  bool said = false;
  for (const json& caveat : report["caveats"]) said = said || caveat.get<std::string>().find(warning) == 0;
  EXPECT_TRUE(said) << report["caveats"].dump(1);
}

}  // namespace
}  // namespace leakspy
