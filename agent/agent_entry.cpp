// How the agent starts: from LD_PRELOAD (`leakspy run`, a constructor) or by a
// remote call after injection (`leakspy record --pid`, leakspy_agent_start).
// Both go through open_session and the same hook installation.

#include <pthread.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "agent/agent_thread.h"
#include "agent/child_announcer.h"
#include "agent/exec_environment.h"
#include "agent/session.h"
#include "agent/thread_state.h"
#include "capture/wire.h"

namespace agent = leakspy::agent;

namespace {

// Socket path for an attach-mode start; copied because the caller's buffer
// (in memory leakspy wrote into the target) is gone once the call returns.
constinit char attach_socket_path[108] = {};

void write_stderr(const char* text) {
  ssize_t ignored = write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

// The agent thread after an attach: connect and install the hooks here, so
// that the hijacked target thread that called leakspy_agent_start returns at
// once; then write.
void attach_thread_body() {
  if (agent::open_session(attach_socket_path, leakspy::wire::kHelloAttached, true) == agent::StartResult::Started) {
    agent::run_writer_loop();
  }
}

// Removes the agent from LD_PRELOAD, so that programs this one starts do not
// load it, and drops the agent's variables.
void scrub_environment() {
  unsetenv(leakspy::wire::kSocketVariable);
  unsetenv(leakspy::wire::kRecordedPidVariable);
  const char* preload = getenv("LD_PRELOAD");
  if (preload == nullptr) return;
  char kept[4096] = {};
  size_t used = agent::preload_without_agent(preload, kept, sizeof(kept));
  if (used == 0) {
    unsetenv("LD_PRELOAD");
  } else {
    setenv("LD_PRELOAD", kept, 1);
  }
}

// A fork of a recorded process: recorded on with --subprocesses (a session of
// its own), else the recorder hears of it.
void child_after_fork() {
  if (agent::session_after_fork() == agent::ForkedSession::Dropped) agent::announce_unrecorded_child(true);
}

__attribute__((constructor)) void start_from_preload() {
  pthread_atfork(nullptr, nullptr, child_after_fork);
  const char* socket = getenv(leakspy::wire::kSocketVariable);
  if (socket == nullptr || socket[0] == '\0') return;
  // The recorded process's own programs keep the variables (wire.h): an exec
  // is followed. A program another process started is not recorded.
  agent::remember_recorder_address(socket);
  const char* recorded = getenv(leakspy::wire::kRecordedPidVariable);
  bool every_program = recorded != nullptr && std::strcmp(recorded, leakspy::wire::kEveryPid) == 0;
  if (!every_program && (recorded == nullptr || std::strtol(recorded, nullptr, 10) != getpid())) {
    agent::announce_unrecorded_child(false);
    scrub_environment();
    return;
  }
  agent::set_follows_forks(every_program);
  char path[sizeof(attach_socket_path)] = {};
  std::strncpy(path, socket, sizeof(path) - 1);
  agent::StartResult result = agent::open_session(path, 0);
  if (result != agent::StartResult::Started) {
    write_stderr("leakspy: the agent could not connect to the recorder; the program runs unrecorded\n");
    return;
  }
  if (!agent::start_agent_thread("leakspy-agent", agent::run_writer_loop)) {
    write_stderr("leakspy: the agent could not start its thread; the program runs unrecorded\n");
    agent::cancel_session();
  }
}

__attribute__((destructor)) void finish_at_exit() { agent::finish_session_at_exit(); }

}  // namespace

// The entry point leakspy calls in a running process after loading the agent.
// It only copies the path and starts a thread: connecting and installing the
// hooks happen there, so the hijacked target thread returns at once.
// Returns 0 when the thread started, a StartResult otherwise: AlreadyRecording
// when another leakspy's session runs (claimed here, so a second attach
// learns it at once). Its name is wire::kAgentStartFunction.
extern "C" __attribute__((visibility("default"))) int leakspy_agent_start(const char* socket_path) {
  if (socket_path == nullptr || std::strlen(socket_path) >= sizeof(attach_socket_path)) {
    return static_cast<int>(agent::StartResult::InitFailed);
  }
  if (!agent::claim_session()) return static_cast<int>(agent::StartResult::AlreadyRecording);
  std::strcpy(attach_socket_path, socket_path);
  agent::remember_recorder_address(socket_path);
  if (agent::start_agent_thread("leakspy-agent", attach_thread_body)) return 0;
  agent::release_session_claim();
  return static_cast<int>(agent::StartResult::InitFailed);
}
