// leakspy run [-o FILE] [--duration S] PROGRAM [ARGS...]: records a program
// from its start, with the agent preloaded.

#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>

#include <filesystem>
#include <iostream>

#include "capture/capture_writer.h"
#include "cli/agent_library.h"
#include "cli/commands.h"
#include "cli/option_values.h"
#include "cli/program_arguments.h"
#include "cli/recording_output.h"
#include "common/error.h"
#include "recorder/agent_listener.h"
#include "recorder/recording_loop.h"
#include "recorder/recording_session.h"
#include "recorder/target_launcher.h"

namespace leakspy::cli {

namespace {

constexpr int kConnectTimeoutMs = 10000;

struct RunOptions {
  std::string output;
  double duration = 0;
  bool native = false;
  bool types = false;  // count Python types whatever it costs
  std::vector<std::string> debug_directories;  // --debug-dir
  bool subprocesses = false;
  std::string root;  // chroot here before starting the program
  std::vector<std::string> command;
};

// The agent's path as the program will see it.
std::string agent_path_for(const RunOptions& options) {
  AgentSource agent = open_agent_library();
  if (options.root.empty()) return agent.path;
  if (geteuid() != 0) throw Error(ErrorKind::Usage, "--root needs root: chroot is for root only; run leakspy with sudo");
  return attach::run_in_root(options.root, [&] { return place_agent_work(agent); }).text;
}

std::string default_output(const std::string& program) {
  return "leakspy-" + std::filesystem::path(program).filename().string() + "-" + std::to_string(getpid()) + ".lspy";
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 0;
}

void run(const RunOptions& options) {
  if (options.command.empty()) throw Error(ErrorKind::Usage, "no program given: leakspy run [-o FILE] PROGRAM [ARGS...]");
  std::string agent = agent_path_for(options);
  std::string output = options.output.empty() ? default_output(options.command[0]) : options.output;
  // Before the program starts: an unwritable path costs nothing. Written
  // beside the path, which the finished capture replaces; removed on failure.
  capture::CaptureFile file = capture::CaptureFile::create(output);
  recorder::AgentListener listener;
  recorder::StopSignals signals;
  auto started = std::chrono::steady_clock::now();
  recorder::LaunchedTarget target =
      recorder::launch_target(options.command, agent, listener.address(), signals.original_mask(), options.root,
                              options.subprocesses);

  int status = 0;
  bool exited = false;
  UniqueFd connection = listener.accept(target.pid, kConnectTimeoutMs, [&] {
    exited = recorder::try_wait_for_target(target.pid, &status);
    return exited;
  });
  if (!connection) {
    if (!exited) {
      ::kill(target.pid, SIGTERM);
      status = recorder::wait_for_target(target.pid);
      throw Error(ErrorKind::AgentFailed, "the agent did not connect within " + std::to_string(kConnectTimeoutMs / 1000) +
                                              " s; " + options.command[0] + " was stopped");
    }
    throw Error(ErrorKind::AgentFailed,
                options.command[0] + " exited (status " + std::to_string(exit_code_of(status)) +
                    ") before leakspy's agent connected: a statically linked or setuid program ignores LD_PRELOAD");
  }

  recorder::configure_agent(connection, {options.native, options.subprocesses, options.types});
  recorder::SessionOptions session_options;
  session_options.output_path = output;
  session_options.output_file = std::move(file);
  session_options.pid = target.pid;
  session_options.command_line = options.command;
  session_options.executable = options.command[0];
  session_options.on_note = print_note;
  session_options.debug_directories = options.debug_directories;
  recorder::RecordingSession session(std::move(session_options));
  session.set_unrecorded_advice(
      options.subprocesses ? "leakspy's agent could not load into them (a statically linked or setuid program, or an "
                             "environment without LD_PRELOAD)"
                           : "record the programs they run with leakspy run --subprocesses");

  recorder::LoopOptions loop_options;
  loop_options.duration_seconds = options.duration;
  loop_options.target_pidfd = target.pidfd.get();
  loop_options.signals = &signals;
  loop_options.target_pid = target.pid;
  loop_options.configuration = {options.native, options.subprocesses, options.types};
  loop_options.subprocesses = options.subprocesses;
  recorder::LoopResult loop =
      recorder::run_recording_loop(listener, std::move(connection), session, loop_options);

  exited = recorder::try_wait_for_target(target.pid, &status);
  if (!exited && loop.target_exited) {
    status = recorder::wait_for_target(target.pid);
    exited = true;
  }
  capture::TargetEnd end = capture::TargetEnd::StillRunning;
  int end_status = 0;
  if (exited && WIFSIGNALED(status)) {
    end = capture::TargetEnd::Signaled;
    end_status = WTERMSIG(status);
  } else if (exited) {
    end = capture::TargetEnd::Exited;
    end_status = WEXITSTATUS(status);
  }
  session.finish(end, end_status);
  print_summary(session, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());

  if (!exited) {
    std::cerr << "leakspy: recording stopped; waiting for " << options.command[0] << " (pid " << target.pid
              << ") to exit\n";
    status = recorder::wait_for_target(target.pid);
  }
  if (!loop.protocol_error.empty()) throw_protocol_error(loop.protocol_error, output);
  command_exit_code = exit_code_of(status);
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* command = app.add_subcommand("run", "Record a program from its start");
  add_capture_output_option(command, "-o,--output", options->output,
                            "Capture file (default: leakspy-PROGRAM-PID.lspy)");
  add_positive_duration_option(command, "--duration", options->duration, "Stop recording after this long (30, 2m, 1h)");
  add_python_options(command, options->native, options->types);
  add_debug_directory_option(command, options->debug_directories);
  command->add_flag("--subprocesses", options->subprocesses,
                    "Record the programs the program's child processes run too (each a process of the capture; "
                    "a fork that does not exec is counted, not recorded)");
  command->add_option("--root", options->root,
                      "Start the program chrooted into this directory (a container's or another distribution's "
                      "root); the agent is placed inside it")
      ->check(CLI::ExistingDirectory);
  // The program starts at the first argument that is not an option of run's
  // (or after "--"); everything from there on is the program's.
  command->prefix_command();
  command->footer("Usage: leakspy run [-o FILE] [--duration S] [--subprocesses] [--root DIR] [--] PROGRAM [ARGS...]");
  command->callback([options, command] {
    options->command = program_command_line(*command);
    run(*options);
  });
}

}  // namespace leakspy::cli
