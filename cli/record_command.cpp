// leakspy record --pid PID [-o FILE] [--duration S] [--subprocesses]: attaches to a running
// process, records until the duration ends, Ctrl-C or SIGTERM, and detaches,
// leaving the process running as before (docs/design.md, "Attach").

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "attach/injector.h"
#include "common/proc_status.h"
#include "attach/ptrace_diagnosis.h"
#include "attach/target_view.h"
#include "capture/capture_writer.h"
#include "cli/agent_library.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/option_values.h"
#include "cli/recording_output.h"
#include "cli/target_files.h"
#include "common/error.h"
#include "common/listed_text.h"
#include "recorder/agent_listener.h"
#include "recorder/recording_loop.h"
#include "recorder/recording_session.h"
#include "recorder/stop_signals.h"

namespace leakspy::cli {

namespace {

constexpr int kConnectTimeoutMs = 10000;

struct RecordOptions {
  pid_t pid = 0;
  std::string output;
  double duration = 0;
  bool native = false;
  bool types = false;  // count Python types whatever it costs
  std::vector<std::string> debug_directories;  // --debug-dir
  bool subprocesses = false;
};

// The agent's file and the recorder's socket, both made as the target sees
// the system (attach/target_view.h): the agent where the target can load
// it, the socket in its network namespace.
struct TargetSetup {
  std::string agent_path;  // as the target sees it
  recorder::AgentListener listener;
};

TargetSetup set_up_target(pid_t pid) {
  AgentSource agent = open_agent_library();
  std::string address = recorder::AgentListener::fresh_address();
  attach::ViewResult view = attach::run_in_target_view(pid, [&] {
    attach::ViewResult result = place_agent_work(agent);
    result.descriptor = recorder::AgentListener::listen_on(address);
    return result;
  });
  if (!view.descriptor) throw Error(ErrorKind::Internal, "leakspy's helper made no socket in the target's view");
  return TargetSetup{view.text, recorder::AgentListener(std::move(view.descriptor), address)};
}

// The agent did not answer the stop: say why, as /proc tells it.
std::string silent_agent_message(pid_t pid) {
  std::optional<ProcStat> stat = read_proc_stat(pid);
  std::string unhooks = "its agent unhooks itself when it next runs and finds leakspy gone";
  if (stat && (stat->state == 'T' || stat->state == 't')) {
    return "process " + std::to_string(pid) + " is stopped (SIGSTOP, job control or a debugger), so its agent " +
           "could not answer: the capture ends where the process stopped, and leakspy left it stopped as it " +
           "was; once resumed (kill -CONT " + std::to_string(pid) + ") " + unhooks;
  }
  return "the agent in process " + std::to_string(pid) + " did not answer within 5 s (the process is " +
         (stat ? std::string("in state ") + stat->state : std::string("gone")) +
         "): the capture ends there; " + unhooks;
}

// --subprocesses: the agent goes into every descendant living now (their
// agents connect to the same socket; the recording loop takes them as the
// target's descendants), and each recorded process follows its forks.
// A descendant that cannot be recorded is said, and the others go on.
void attach_descendants(pid_t pid, const TargetSetup& target, recorder::RecordingSession& session) {
  std::vector<pid_t> descendants = descendants_of(pid);
  size_t attached = 0;
  for (pid_t descendant : descendants) {
    try {
      attach::inject_agent(descendant, target.agent_path, target.listener.address());
      ++attached;
    } catch (const Error& error) {
      // Forked since the agent began following forks: recorded already.
      std::optional<ProcStat> stat = read_proc_stat(descendant);
      if (error.kind() == ErrorKind::AlreadyRecording && stat && stat->parent == pid) continue;
      session.note_warning("child process " + std::to_string(descendant) + " (" + process_name(descendant) +
                           ") is not recorded: " + error.what());
    }
  }
  if (attached > 0) {
    std::cerr << "leakspy: attached to " << attached << " child process" << (attached == 1 ? "" : "es") << " of "
              << pid << " too\n";
  }
}

// Without --subprocesses: the children the process has now are said, with
// the option that records them (its later forks announce themselves).
void note_descendants_not_recorded(pid_t pid, recorder::RecordingSession& session) {
  std::vector<pid_t> descendants = descendants_of(pid);
  if (descendants.empty()) return;
  std::vector<std::string> pids;
  for (pid_t descendant : descendants) pids.push_back(std::to_string(descendant));
  session.note_warning("process " + std::to_string(pid) + " has " + std::to_string(descendants.size()) +
                       " child process" + (descendants.size() == 1 ? "" : "es") + " (" + listed_text(pids) +
                       ") that " + (descendants.size() == 1 ? "is" : "are") + " not recorded: record them too with leakspy record --pid " + std::to_string(pid) +
                       " --subprocesses");
}

UniqueFd open_pidfd(pid_t pid) { return UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0))); }

void record(const RecordOptions& options) {
  attach::check_attachable(options.pid);
  std::string output = options.output.empty() ? "leakspy-" + std::to_string(options.pid) + ".lspy" : options.output;
  // Before the target is touched: an unwritable path costs it nothing. The
  // capture is written beside the path, which it replaces once finished;
  // if no recording starts, it is removed (capture/capture_file.h).
  capture::CaptureFile file = capture::CaptureFile::create(output);
  // Before the first ptrace call: Ctrl-C must not kill leakspy while a
  // thread of the target runs a call leakspy made.
  recorder::StopSignals signals;
  TargetSetup target = set_up_target(options.pid);
  UniqueFd pidfd = open_pidfd(options.pid);
  auto started = std::chrono::steady_clock::now();

  attach::InjectionResult injection = attach::inject_agent(options.pid, target.agent_path, target.listener.address());
  UniqueFd connection =
      target.listener.accept(options.pid, kConnectTimeoutMs, [&] { return !read_proc_stat(options.pid); });
  if (!connection) {
    throw Error(ErrorKind::AgentFailed, "the agent started in process " + std::to_string(options.pid) +
                                            " but did not connect within " + std::to_string(kConnectTimeoutMs / 1000) +
                                            " s; the process runs on unrecorded");
  }
  // Said once the agent's hooks are in (its first cycle came): what the
  // target does from then on is recorded.
  std::string process = process_name(options.pid);
  auto say_recording = [&] {
    std::cerr << "leakspy: attached to process " << options.pid << " (" << process << ") in "
              << static_cast<int>(injection.stopped_seconds * 1000) << " ms"
              << (injection.reused_agent ? ", reusing the agent loaded by an earlier recording" : "")
              << "; recording until " << (options.duration > 0 ? "the duration ends or " : "") << "Ctrl-C\n";
  };

  recorder::configure_agent(connection, {options.native, options.subprocesses, options.types});
  recorder::SessionOptions session_options;
  session_options.output_path = output;
  session_options.output_file = std::move(file);
  session_options.pid = options.pid;
  session_options.attached = true;
  session_options.command_line = command_line(options.pid);
  session_options.executable = executable_path(options.pid);
  session_options.on_note = print_note;
  session_options.debug_directories = options.debug_directories;
  session_options.open_as_target = open_files_as_target(options.pid);
  recorder::RecordingSession session(std::move(session_options));
  session.set_unrecorded_advice(options.subprocesses
                                    ? "leakspy's agent could not start in them"
                                    : "record them too with leakspy record --pid " + std::to_string(options.pid) +
                                          " --subprocesses");
  if (options.subprocesses) {
    attach_descendants(options.pid, target, session);
  } else {
    note_descendants_not_recorded(options.pid, session);
  }

  recorder::LoopOptions loop_options;
  loop_options.duration_seconds = options.duration;
  loop_options.target_pidfd = pidfd.get();
  loop_options.signals = &signals;
  loop_options.target_pid = options.pid;
  loop_options.configuration = {options.native, options.subprocesses, options.types};
  loop_options.subprocesses = options.subprocesses;
  loop_options.on_recording = say_recording;
  recorder::LoopResult loop =
      recorder::run_recording_loop(target.listener, std::move(connection), session, loop_options);

  // Not leakspy's child: its exit status cannot be known (-1).
  bool exited = loop.target_exited || !read_proc_stat(options.pid);
  session.finish(exited ? capture::TargetEnd::Exited : capture::TargetEnd::StillRunning, exited ? -1 : 0);
  print_summary(session, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (!loop.protocol_error.empty()) throw_protocol_error(loop.protocol_error, output);
  if (!session.output_failure().empty()) {
    std::cerr << "leakspy: detached; process " << options.pid << " runs on as before\n";
    command_exit_code = kExitOutputUnwritable;
  } else if (exited) {
    std::cerr << "leakspy: process " << options.pid << " exited during the recording; the capture is complete up to "
              << "its exit\n";
    command_exit_code = kExitTargetExited;
  } else if (loop.agent_silent) {
    std::cerr << "leakspy: " << silent_agent_message(options.pid) << "\n";
  } else {
    std::cerr << "leakspy: detached; process " << options.pid << " runs on as before\n";
  }
}

}  // namespace

void add_record_command(CLI::App& app) {
  auto options = std::make_shared<RecordOptions>();
  CLI::App* command = app.add_subcommand("record", "Attach to a running process and record it, then detach");
  add_whole_number_option(command, "-p,--pid", options->pid, "The process to record", 1)->required();
  add_capture_output_option(command, "-o,--output", options->output, "Capture file (default: leakspy-PID.lspy)");
  add_positive_duration_option(command, "--duration", options->duration,
                               "Stop recording and detach after this long (30, 2m, 1h)");
  add_python_options(command, options->native, options->types);
  add_debug_directory_option(command, options->debug_directories);
  command->add_flag("--subprocesses", options->subprocesses,
                    "Record the process's descendants too: those running now and those it forks from now on");
  command->callback([options] { record(*options); });
}

}  // namespace leakspy::cli
