// Issue 15, PyTorch's worker processes, with `leakspy run --subprocesses`:
// a DataLoader's workers (forked by the main process) leak in
// Dataset.__getitem__, and the leak is found in the workers; torchrun's two
// ranks (gloo, CPU) run the same script and only rank 1 leaks: the report
// says which process leaks and that the other does not.
// Debian's python3 and python3-torch (1.13, CPU; scripts/setup.sh).
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tests/support/process.h"
#include "tests/support/python_interpreters.h"
#include "tests/support/source_lines.h"

namespace leakspy {
namespace {

using nlohmann::json;

constexpr char kPython[] = "/usr/bin/python3";

class TorchWorkersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (test::run_process({kPython, "-c", "import torch"}, 120).exit_code != 0) {
      GTEST_SKIP() << "Debian's python3-torch is not installed (scripts/setup.sh installs it)";
    }
    directory_ = test::make_temp_dir();
  }
  void TearDown() override {
    if (!directory_.empty()) std::system(("rm -rf " + directory_).c_str());
  }
  std::string record(const std::vector<std::string>& program, const std::string& name) {
    std::string capture = directory_ + "/" + name;
    std::vector<std::string> argv = {"run", "--subprocesses", "-o", capture, "--"};
    argv.insert(argv.end(), program.begin(), program.end());
    test::ProcessResult run = test::run_leakspy(argv);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return capture;
  }
  static json top_json(const std::vector<std::string>& arguments) {
    std::vector<std::string> argv = {"top"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    argv.insert(argv.end(), {"--json", "-n", "200"});
    test::ProcessResult top = test::run_leakspy(argv);
    EXPECT_EQ(top.exit_code, 0) << top.err;
    return json::parse(top.out);
  }
  // The rows of `report` at file:line.
  static std::vector<json> rows_at(const json& report, const std::string& file, int line) {
    std::vector<json> rows;
    for (const json& site : report["sites"]) {
      if (site["file"] == file && site["line"] == line) rows.push_back(site);
    }
    return rows;
  }

  std::string directory_;
};

TEST_F(TorchWorkersTest, ADataLoadersLeakIsFoundInItsTwoWorkers) {
  std::string script = test::python_target("dataloader_leak.py");
  int line = test::line_marked(script, "# LEAK");
  std::string capture = record({kPython, script}, "loader.lspy");
  json report = top_json({capture});
  std::vector<json> leak = rows_at(report, script, line);
  ASSERT_EQ(leak.size(), 1u) << report["sites"].dump(1);
  EXPECT_EQ(leak[0]["processes"], 2) << leak[0].dump(1);
  // 400 items, one 10,000-byte buffer each, all in the workers.
  EXPECT_GE(leak[0]["live_bytes"].get<uint64_t>(), 390u * 10000) << leak[0].dump(1);
  uint32_t main_pid = report["capture"]["processes"][0]["pid"];
  for (const json& pid : leak[0]["pids"]) EXPECT_NE(pid.get<uint32_t>(), main_pid);
}

TEST_F(TorchWorkersTest, TorchrunSaysWhichRankLeaksAndThatTheOtherDoesNot) {
  std::string script = test::python_target("torchrun_rank_leak.py");
  int line = test::line_marked(script, "# LEAK");
  // --redirects/--tee 1: torch 1.13's default of 0 fails on Python 3.11
  // (an IntFlag lookup); the rendezvous port is this test's own.
  std::string port = std::to_string(29500 + getpid() % 400);
  std::string capture = record({kPython, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--redirects", "1",
                                "--tee", "1", "--master_port", port, script},
                               "ranks.lspy");
  json report = top_json({capture, "--by-process"});
  const json& processes = report["capture"]["processes"];
  ASSERT_EQ(processes.size(), 3u) << processes.dump(1);  // torchrun and its two ranks
  std::vector<json> leak = rows_at(report, script, line);
  ASSERT_EQ(leak.size(), 1u) << report["sites"].dump(1);
  uint32_t leaking = leak[0]["pid"];
  EXPECT_GE(leak[0]["live_bytes"].get<uint64_t>(), 200u * 10000) << leak[0].dump(1);
  size_t ranks = 0;
  for (size_t i = 1; i < processes.size(); ++i) {
    uint32_t pid = processes[i]["pid"];
    ++ranks;
    json own = top_json({capture, "--process", std::to_string(pid)});
    std::vector<json> rows = rows_at(own, script, line);
    if (pid == leaking) {
      ASSERT_EQ(rows.size(), 1u);
      EXPECT_EQ(rows[0]["live_bytes"], leak[0]["live_bytes"]);
    } else {
      EXPECT_TRUE(rows.empty()) << "the other rank leaks nothing at the line: " << own["sites"].dump(1);
    }
  }
  EXPECT_EQ(ranks, 2u);
}

}  // namespace
}  // namespace leakspy
