#include "tests/support/process.h"
#include "common/clock.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace leakspy::test {

namespace {

struct Spawned {
  pid_t pid;
  int stdin_fd;
  int stdout_fd;
  int stderr_fd;
};

Spawned spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env, bool capture_stderr) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) environment.emplace_back(*e);
  for (const std::string& extra : env) {
    std::string name = extra.substr(0, extra.find('='));
    std::erase_if(environment, [&](const std::string& e) { return e.rfind(name + "=", 0) == 0; });
    environment.push_back(extra);
  }
  std::vector<char*> envp;
  for (std::string& e : environment) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (std::string& a : args) argp.push_back(a.data());
  argp.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    setpgid(0, 0);  // own process group: a stray signal to the test's group does not reach it
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(capture_stderr ? err[1] : 2, 2);
    execvpe(argp[0], argp.data(), envp.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (!capture_stderr) {
    close(err[0]);
    err[0] = -1;
  }
  return {pid, in[1], out[0], err[0]};
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

void read_into(int fd, std::string* out) {
  char buffer[65536];
  ssize_t n = read(fd, buffer, sizeof(buffer));
  if (n > 0) out->append(buffer, static_cast<size_t>(n));
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, double timeout_seconds,
                          const std::vector<std::string>& env, const std::string& input) {
  Spawned child = spawn(argv, env, true);
  if (!input.empty()) {
    ssize_t ignored = write(child.stdin_fd, input.data(), input.size());
    (void)ignored;
  }
  close(child.stdin_fd);
  ProcessResult result;
  double deadline = monotonic_seconds() + timeout_seconds;
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    double left = deadline - monotonic_seconds();
    if (left <= 0) {
      result.timed_out = true;
      kill(child.pid, SIGKILL);
      break;
    }
    pollfd fds[2] = {{out_open ? child.stdout_fd : -1, POLLIN, 0}, {err_open ? child.stderr_fd : -1, POLLIN, 0}};
    if (poll(fds, 2, static_cast<int>(left * 1000) + 1) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      std::string* target = i == 0 ? &result.out : &result.err;
      size_t before = target->size();
      read_into(fds[i].fd, target);
      if (target->size() == before) (i == 0 ? out_open : err_open) = false;
    }
  }
  close(child.stdout_fd);
  close(child.stderr_fd);
  int status = 0;
  rusage usage{};
  wait4(child.pid, &status, 0, &usage);
  result.max_rss_kb = usage.ru_maxrss;
  result.exit_code = result.timed_out ? -1 : decode_status(status);
  return result;
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  Spawned child = spawn(argv, env, false);
  pid_ = child.pid;
  stdin_fd_ = child.stdin_fd;
  stdout_fd_ = child.stdout_fd;
}

BackgroundProcess::~BackgroundProcess() {
  if (!reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  close_stdin();
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

void BackgroundProcess::drain_stdout(int timeout_ms) {
  pollfd fd{stdout_fd_, POLLIN, 0};
  if (poll(&fd, 1, timeout_ms) > 0) read_into(stdout_fd_, &out_);
}

bool BackgroundProcess::wait_for_output(const std::string& text, double timeout_seconds, size_t from) {
  double deadline = monotonic_seconds() + timeout_seconds;
  while (out_.find(text, from) == std::string::npos) {
    if (monotonic_seconds() > deadline) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      exit_code_ = decode_status(status);  // for a later wait()
      for (int i = 0; i < 10; ++i) drain_stdout(0);
      return out_.find(text, from) != std::string::npos;
    }
    drain_stdout(50);
  }
  return true;
}

void BackgroundProcess::write_stdin(const std::string& text) {
  signal(SIGPIPE, SIG_IGN);  // a program that exited must fail the test, not kill it
  size_t written = 0;
  while (stdin_fd_ >= 0 && written < text.size()) {
    ssize_t got = write(stdin_fd_, text.data() + written, text.size() - written);
    if (got <= 0) break;
    written += static_cast<size_t>(got);
  }
}

void BackgroundProcess::close_stdin() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  stdin_fd_ = -1;
}

void BackgroundProcess::send_signal(int signal) { kill(pid_, signal); }

int BackgroundProcess::wait(double timeout_seconds) {
  if (reaped_) return exit_code_;
  double deadline = monotonic_seconds() + timeout_seconds;
  int status = 0;
  while (monotonic_seconds() < deadline) {
    drain_stdout(20);
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      exit_code_ = decode_status(status);
      for (int i = 0; i < 10; ++i) drain_stdout(0);
      return exit_code_;
    }
  }
  return -1;
}

std::string leakspy_binary() { return LEAKSPY_BINARY; }

ProcessResult run_leakspy(const std::vector<std::string>& arguments) {
  std::vector<std::string> argv = {leakspy_binary()};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return run_process(argv, 120);
}
std::string target_path(const std::string& name) { return std::string(LEAKSPY_TARGETS_DIR) + "/" + name; }

std::string make_temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/leakspy-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

}  // namespace leakspy::test
