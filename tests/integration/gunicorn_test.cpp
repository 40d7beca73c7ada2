// Issue 15, gunicorn: `leakspy record --pid MASTER --subprocesses` records
// the master and the sync workers it runs now and forks later (a worker
// restarted by --max-requests); a Flask handler that leaks in every worker
// is one row that says how many processes. Without --subprocesses the
// recording names the workers it did not record, and the option.
// Debian's gunicorn and python3-flask (scripts/setup.sh), on 127.0.0.1.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <thread>
#include <nlohmann/json.hpp>

#include "tests/support/free_port.h"
#include "tests/support/process.h"
#include "tests/support/python_interpreters.h"
#include "tests/support/source_lines.h"

namespace leakspy {
namespace {

using nlohmann::json;

constexpr char kPython[] = "/usr/bin/python3";
constexpr char kGunicorn[] = "/usr/bin/gunicorn";

class GunicornTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kGunicorn, X_OK) != 0) GTEST_SKIP() << "gunicorn is not installed (scripts/setup.sh installs it)";
    if (test::run_process({kPython, "-c", "import flask"}).exit_code != 0) {
      GTEST_SKIP() << "python3-flask is not installed (scripts/setup.sh installs it)";
    }
    directory_ = test::make_temp_dir();
    port_ = test::free_port();
    ASSERT_NE(port_, 0);
  }
  void TearDown() override {
    if (server_) {
      server_->send_signal(SIGTERM);  // the master stops its workers, then itself
      server_->wait(30);
    }
    if (!directory_.empty()) std::system(("rm -rf " + directory_).c_str());
  }

  // gunicorn with 2 sync workers, serving; `extra`: more of its options.
  void start_server(const std::vector<std::string>& extra = {}) {
    std::string app_directory = test::python_target("flask_leak_app.py");
    app_directory.resize(app_directory.rfind('/'));
    std::vector<std::string> argv = {kPython, kGunicorn, "-w", "2", "-b", "127.0.0.1:" + std::to_string(port_),
                                     "--chdir", app_directory, "--log-level", "warning"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("flask_leak_app:app");
    server_ = std::make_unique<test::BackgroundProcess>(argv);
  }
  // Waits (up to 60 s) until the master has `count` workers: a worker boots
  // (imports Flask) on its own time, the first may serve before the second is up.
  bool wait_for_workers(size_t count) {
    std::string children = "/proc/" + std::to_string(server_->pid()) + "/task/" + std::to_string(server_->pid()) +
                            "/children";
    for (int attempt = 0; attempt < 600; ++attempt) {
      std::ifstream file(children);
      size_t seen = 0;
      for (std::string pid; file >> pid;) ++seen;
      if (seen >= count) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  // The bounded request loop, started once the server answers.
  std::unique_ptr<test::BackgroundProcess> drive(int requests, double interval) {
    auto client = std::make_unique<test::BackgroundProcess>(std::vector<std::string>{
        kPython, test::python_target("request_loop.py"), std::to_string(port_), std::to_string(requests),
        std::to_string(interval)});
    EXPECT_TRUE(client->wait_for_output("serving", 60)) << client->output();
    EXPECT_TRUE(wait_for_workers(2)) << "gunicorn's 2 workers did not start";
    return client;
  }
  std::string record(const std::vector<std::string>& options, const std::string& name) {
    std::string capture = directory_ + "/" + name;
    std::vector<std::string> argv = {"record", "--pid", std::to_string(server_->pid()), "-o", capture};
    argv.insert(argv.end(), options.begin(), options.end());
    test::ProcessResult recorded = test::run_leakspy(argv);
    EXPECT_EQ(recorded.exit_code, 0) << recorded.err;
    record_err_ = recorded.err;
    return capture;
  }
  static json top_json(const std::string& capture, const std::vector<std::string>& options = {}) {
    std::vector<std::string> argv = {"top", capture, "--json", "-n", "10"};
    argv.insert(argv.end(), options.begin(), options.end());
    test::ProcessResult top = test::run_leakspy(argv);
    EXPECT_EQ(top.exit_code, 0) << top.err;
    return json::parse(top.out);
  }
  static json site_at(const json& report, const std::string& file, int line) {
    for (const json& site : report["sites"]) {
      if (site["file"] == file && site["line"] == line) return site;
    }
    return json();
  }

  std::string directory_;
  int port_ = 0;
  std::unique_ptr<test::BackgroundProcess> server_;
  std::string record_err_;
};

TEST_F(GunicornTest, TwoWorkersLeakingAtOneLineAreTopRowOneOfTwoProcesses) {
  start_server();
  auto client = drive(1000, 0.01);
  std::string capture = record({"--subprocesses", "--duration", "15"}, "workers.lspy");
  EXPECT_NE(record_err_.find("attached to 2 child processes"), std::string::npos) << record_err_;
  std::string app = test::python_target("flask_leak_app.py");
  int line = test::line_marked(app, "# LEAK");
  json report = top_json(capture);
  ASSERT_FALSE(report["sites"].empty());
  EXPECT_EQ(report["sites"][0]["file"], app) << report["sites"].dump(1);
  EXPECT_EQ(report["sites"][0]["line"], line);
  EXPECT_EQ(report["sites"][0]["processes"], 2) << report["sites"][0].dump(1);
  EXPECT_EQ(report["capture"]["processes"].size(), 3u) << report["capture"]["processes"].dump(1);
  test::ProcessResult text = test::run_leakspy({"top", capture, "-n", "1"});
  EXPECT_NE(text.out.find("flask_leak_app.py:" + std::to_string(line) + ")  [2 processes]"), std::string::npos)
      << text.out;
  // Each worker's share, a row of its own.
  json by_process = top_json(capture, {"--by-process"});
  size_t worker_rows = 0;
  for (const json& site : by_process["sites"]) worker_rows += site["file"] == app && site["line"] == line;
  EXPECT_EQ(worker_rows, 2u) << by_process["sites"].dump(1);
  // check judges each process alone too: a worker leaks at the line (both
  // do, but the kernel may hand one worker too few requests for a verdict
  // of its own), the master does not.
  test::ProcessResult check = test::run_leakspy({"check", capture, "--json", "-"});
  EXPECT_EQ(check.exit_code, 20) << check.err;
  json gate = json::parse(check.out);
  ASSERT_EQ(gate["processes"].size(), 3u) << gate.dump(1);
  size_t leaking_workers = 0;
  for (const json& process : gate["processes"]) {
    bool leaks_at_line = !process["leaks"].empty() && process["leaks"][0]["file"] == app && process["leaks"][0]["line"] == line;
    if (process["pid"] == server_->pid()) {
      EXPECT_FALSE(leaks_at_line) << process.dump(1);
    } else {
      leaking_workers += leaks_at_line && process["status"] == "fail";
    }
  }
  EXPECT_GE(leaking_workers, 1u) << gate["processes"].dump(1);
  EXPECT_NE(check.err.find("processes  3 checked alone: " + std::to_string(leaking_workers) + " with leaks"),
            std::string::npos)
      << check.err;
}

TEST_F(GunicornTest, AWorkerRestartedByMaxRequestsDuringTheRecordingIsRecordedToo) {
  start_server({"--max-requests", "100"});
  auto client = drive(500, 0.01);
  std::string capture = record({"--subprocesses", "--duration", "8"}, "restarts.lspy");
  json report = top_json(capture);
  const json& processes = report["capture"]["processes"];
  // The master, the two workers attached to, and at least one forked since.
  ASSERT_GE(processes.size(), 4u) << processes.dump(1);
  std::string app = test::python_target("flask_leak_app.py");
  json leak = site_at(report, app, test::line_marked(app, "# LEAK"));
  ASSERT_FALSE(leak.is_null()) << report["sites"].dump(1);
  EXPECT_GE(leak["processes"].get<int>(), 3) << leak.dump(1);
  // A worker that ended (restarted) keeps its history: its end is in the capture.
  size_t ended = 0;
  for (const json& process : processes) ended += process["end"] == "exited";
  EXPECT_GE(ended, 1u) << processes.dump(1);
  // A worker's exit is not the recording's: the master ran on, and reports
  // cover the whole recording.
  EXPECT_FALSE(report["capture"].contains("exit")) << report["capture"].dump(1);
  EXPECT_GE(report["capture"]["duration_seconds"].get<double>(), 7.5);
  test::ProcessResult stats = test::run_leakspy({"inspect", capture, "--stats"});
  EXPECT_EQ(stats.out.find("exit: at"), std::string::npos) << stats.out;
  EXPECT_NE(stats.out.find("exits of other processes: "), std::string::npos) << stats.out;
}

TEST_F(GunicornTest, WithoutSubprocessesTheRecordingNamesTheWorkersItMissed) {
  start_server();
  auto client = drive(300, 0.01);
  std::string capture = record({"--duration", "2"}, "master.lspy");
  std::string master = std::to_string(server_->pid());
  const std::string advice = "record them too with leakspy record --pid " + master + " --subprocesses";
  EXPECT_NE(record_err_.find("has 2 child processes"), std::string::npos) << record_err_;
  test::ProcessResult top = test::run_leakspy({"top", capture});
  EXPECT_NE(top.out.find("WARNING    process " + master + " has 2 child processes"), std::string::npos) << top.out;
  EXPECT_NE(top.out.find(advice), std::string::npos) << top.out;
}

}  // namespace
}  // namespace leakspy
