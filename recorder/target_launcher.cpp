#include "recorder/target_launcher.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "capture/wire.h"
#include "common/error.h"

extern char** environ;

namespace leakspy::recorder {

namespace {

// Whether an environment entry ("NAME=value") sets `name`.
bool is_variable(const char* entry, const char* name) {
  size_t length = std::strlen(name);
  return std::strncmp(entry, name, length) == 0 && entry[length] == '=';
}

// Writes `value` into `out` (room for `width` characters) as decimal digits,
// then a NUL. Async-signal-safe: the child runs it between fork and exec.
void write_decimal(char* out, size_t width, unsigned long value) {
  char digits[24];
  size_t count = 0;
  do {
    digits[count++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0 && count < sizeof(digits));
  if (count > width) count = width;
  for (size_t i = 0; i < count; ++i) out[i] = digits[count - 1 - i];
  out[count] = '\0';
}

}  // namespace

LaunchedTarget launch_target(const std::vector<std::string>& command, const std::string& agent_path,
                             const std::string& socket_path, const sigset_t& child_signal_mask,
                             const std::string& root, bool subprocesses) {
  if (command.empty()) throw Error(ErrorKind::Usage, "no program given: use leakspy run -- PROGRAM [ARGS...]");

  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls until exec.
  std::vector<std::string> environment;
  const char* preload = std::getenv("LD_PRELOAD");
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (!is_variable(*entry, "LD_PRELOAD") && !is_variable(*entry, wire::kSocketVariable) &&
        !is_variable(*entry, wire::kRecordedPidVariable)) {
      environment.emplace_back(*entry);
    }
  }
  environment.push_back("LD_PRELOAD=" + agent_path + (preload != nullptr && preload[0] ? ":" + std::string(preload) : ""));
  environment.push_back(std::string(wire::kSocketVariable) + "=" + socket_path);
  // The child's pid, written by the child itself (room for 10 digits), or
  // every pid of the tree.
  environment.push_back(std::string(wire::kRecordedPidVariable) + "=" + (subprocesses ? wire::kEveryPid : "0000000000"));
  std::vector<char*> envp;
  for (std::string& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);
  char* recorded_pid = subprocesses ? nullptr : environment.back().data() + sizeof(wire::kRecordedPidVariable);
  std::vector<std::string> args = command;
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  // The child reports a failed exec through this pipe; a successful exec
  // closes it (O_CLOEXEC) and the parent reads end-of-file.
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw_errno(ErrorKind::Internal, "pipe");
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);

  pid_t pid = fork();
  if (pid < 0) throw_errno(ErrorKind::TargetStart, "cannot start " + command[0] + ": fork");
  if (pid == 0) {
    if (recorded_pid != nullptr) write_decimal(recorded_pid, 10, static_cast<unsigned long>(getpid()));
    sigprocmask(SIG_SETMASK, &child_signal_mask, nullptr);
    if (root.empty() || (chroot(root.c_str()) == 0 && chdir("/") == 0)) execvpe(argv[0], argv.data(), envp.data());
    int error = errno;
    ssize_t ignored = write(write_end.get(), &error, sizeof(error));
    (void)ignored;
    _exit(127);
  }
  write_end.reset();
  int exec_error = 0;
  ssize_t n;
  do {
    n = read(read_end.get(), &exec_error, sizeof(exec_error));
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof(exec_error))) {
    wait_for_target(pid);
    std::string hint = exec_error == ENOENT ? ": no such file, or not found in PATH" : "";
    throw Error(ErrorKind::TargetStart,
                errno_message("cannot run " + command[0], exec_error) + hint + "");
  }
  LaunchedTarget target;
  target.pid = pid;
  target.pidfd.reset(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  return target;
}

int wait_for_target(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

bool try_wait_for_target(pid_t pid, int* status) { return waitpid(pid, status, WNOHANG) == pid; }

}  // namespace leakspy::recorder
