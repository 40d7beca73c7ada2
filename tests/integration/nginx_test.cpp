// Issue 15, nginx: its master forks the workers that serve, and allocates
// next to nothing itself. `leakspy record --pid MASTER --subprocesses`
// records the workers, each a process of the capture under the title nginx
// gives it; without --subprocesses the recording names the workers it did
// not record and the option, and says the master allocated nothing.
// Debian's nginx-light (scripts/setup.sh), on 127.0.0.1, in a directory of
// the test's own.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/support/free_port.h"
#include "tests/support/process.h"
#include "tests/support/python_interpreters.h"

namespace leakspy {
namespace {

using nlohmann::json;

constexpr char kNginx[] = "/usr/sbin/nginx";
constexpr char kPython[] = "/usr/bin/python3";

class NginxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kNginx, X_OK) != 0) GTEST_SKIP() << "nginx is not installed (scripts/setup.sh installs nginx-light)";
    directory_ = test::make_temp_dir();
    port_ = test::free_port();
    ASSERT_NE(port_, 0);
    std::ofstream config(directory_ + "/nginx.conf");
    config << "worker_processes 2;\ndaemon off;\npid " << directory_ << "/nginx.pid;\nerror_log " << directory_
           << "/error.log;\nevents { worker_connections 64; }\nhttp {\n  access_log off;\n";
    for (const char* temporary : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
      config << "  " << temporary << "_temp_path " << directory_ << "/" << temporary << ";\n";
    }
    config << "  server { listen 127.0.0.1:" << port_ << "; location / { return 200 \"ok\\n\"; } }\n}\n";
    config.close();
    master_ = std::make_unique<test::BackgroundProcess>(
        std::vector<std::string>{kNginx, "-c", directory_ + "/nginx.conf", "-e", directory_ + "/error.log"});
    client_ = std::make_unique<test::BackgroundProcess>(std::vector<std::string>{
        kPython, test::python_target("request_loop.py"), std::to_string(port_), "3000", "0.002"});
    ASSERT_TRUE(client_->wait_for_output("serving", 60)) << client_->output() << master_->output();
  }
  void TearDown() override {
    if (master_) {
      master_->send_signal(SIGTERM);  // the master stops its workers, then itself
      master_->wait(30);
    }
    if (!directory_.empty()) std::system(("rm -rf " + directory_).c_str());
  }
  test::ProcessResult record(const std::vector<std::string>& options, const std::string& capture) {
    std::vector<std::string> argv = {"record", "--pid", std::to_string(master_->pid()), "-o", capture, "--duration", "3"};
    argv.insert(argv.end(), options.begin(), options.end());
    test::ProcessResult recorded = test::run_leakspy(argv);
    EXPECT_EQ(recorded.exit_code, 0) << recorded.err;
    return recorded;
  }

  std::string directory_;
  int port_ = 0;
  std::unique_ptr<test::BackgroundProcess> master_;
  std::unique_ptr<test::BackgroundProcess> client_;
};

TEST_F(NginxTest, TheWorkersAreRecordedWithSubprocesses) {
  std::string capture = directory_ + "/workers.lspy";
  test::ProcessResult recorded = record({"--subprocesses"}, capture);
  EXPECT_NE(recorded.err.find("attached to 2 child processes"), std::string::npos) << recorded.err;
  test::ProcessResult top = test::run_leakspy({"top", capture, "--by", "allocated", "--json", "-n", "5"});
  ASSERT_EQ(top.exit_code, 0) << top.err;
  json report = json::parse(top.out);
  const json& processes = report["capture"]["processes"];
  ASSERT_EQ(processes.size(), 3u) << processes.dump(1);
  for (size_t i = 1; i < processes.size(); ++i) {
    EXPECT_EQ(processes[i]["origin"], "child");
    // nginx rewrites its title over its arguments: one argument, no empty ones after it.
    EXPECT_EQ(processes[i]["command"], json::array({"nginx: worker process"})) << processes[i].dump(1);
  }
  // The requests' allocations are the workers', none the master's.
  ASSERT_FALSE(report["sites"].empty()) << top.out;
  std::set<int> allocating;
  for (const json& site : report["sites"]) {
    for (const json& pid : site["pids"]) allocating.insert(pid.get<int>());
  }
  EXPECT_EQ(allocating.count(master_->pid()), 0u) << report["sites"].dump(1);
  EXPECT_GE(allocating.size(), 1u) << report["sites"].dump(1);
}

TEST_F(NginxTest, WithoutSubprocessesTheRecordingNamesTheWorkersItMissed) {
  test::ProcessResult recorded = record({}, directory_ + "/master.lspy");
  EXPECT_NE(recorded.err.find("has 2 child processes"), std::string::npos) << recorded.err;
  EXPECT_NE(recorded.err.find("--subprocesses"), std::string::npos) << recorded.err;
  EXPECT_NE(recorded.err.find("allocated nothing leakspy could see, nginx (pid " + std::to_string(master_->pid())),
            std::string::npos)
      << recorded.err;
}

}  // namespace
}  // namespace leakspy
