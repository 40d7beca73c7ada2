#pragma once
// Running programs from tests: always with a time limit, always reaped.

#include <sys/types.h>

#include <string>
#include <vector>

namespace leakspy::test {

struct ProcessResult {
  int exit_code = -1;  // the program's exit code; 128 + signal when killed
  bool timed_out = false;
  std::string out;     // stdout
  std::string err;     // stderr
  long max_rss_kb = 0; // peak resident set of the program (or of a process it reaped), from wait4
};

// Runs `argv` to completion (SIGKILL after `timeout_seconds`), with `env`
// entries ("NAME=value") added to the environment and `input` on stdin.
ProcessResult run_process(const std::vector<std::string>& argv, double timeout_seconds = 60,
                          const std::vector<std::string>& env = {}, const std::string& input = "");

// A program running in the background; killed and reaped when destroyed.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Reads stdout until `text` appears at or after offset `from` (a ready
  // handshake, an answer); false on timeout or exit.
  bool wait_for_output(const std::string& text, double timeout_seconds = 30, size_t from = 0);
  // Writes to the program's stdin.
  void write_stdin(const std::string& text);
  // Closes the program's stdin.
  void close_stdin();
  void send_signal(int signal);
  // Waits for exit; returns the exit code (128 + signal), or -1 on timeout.
  int wait(double timeout_seconds = 30);
  // stdout read so far (plus whatever wait() collected).
  const std::string& output() const { return out_; }

 private:
  void drain_stdout(int timeout_ms);

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string out_;
  bool reaped_ = false;
  int exit_code_ = -1;  // once reaped
};

std::string leakspy_binary();
// Runs the leakspy binary with `arguments` (at most two minutes).
ProcessResult run_leakspy(const std::vector<std::string>& arguments);
std::string target_path(const std::string& name);
// A fresh directory under the test's temporary directory.
std::string make_temp_dir();

}  // namespace leakspy::test
