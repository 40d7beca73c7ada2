#pragma once
// Reads the agents' streams into a RecordingSession until the recording
// ends: the target exits, the duration passes, or SIGINT/SIGTERM arrives
// (then every agent is asked to stop and given a few seconds to flush; a
// second signal stops waiting), or an agent breaks the wire protocol (then
// the recorder hangs up on every agent at once, so that well-behaved agents
// unhook, and the capture says why it ended; the caller finishes it and
// reports the error).
//
// exec is followed: the program that replaces the target's (an exec wrapper,
// a shell's exec, a pyenv shim) loads the agent again and connects with the
// same pid; its stream becomes the next recorded process of the capture.
// While the target lives, the loop waits for such a connection even when no
// stream is open. With `subprocesses`, the programs of the target's
// descendants are recorded too, each a process of the capture; without, they
// are counted (their agents say hello and hang up), and the capture says how
// many were missed. Not thread-safe.

#include <sys/types.h>

#include <functional>
#include <string>

#include "common/unique_fd.h"
#include "recorder/agent_listener.h"
#include "recorder/recording_session.h"
#include "recorder/stop_signals.h"

namespace leakspy::recorder {

struct AgentConfiguration {
  bool native_frames = false;  // Python targets: keep the interpreter's native frames too
  bool follows_forks = false;  // the agent records the process's forks too (--subprocesses)
  bool type_census_always = false;  // Python: count types whatever a census costs (--types)
};

struct LoopOptions {
  double duration_seconds = 0;  // 0: no limit
  pid_t target_pid = 0;         // whose agents may connect (the first one has)
  int target_pidfd = -1;        // readable when the target exits; -1 if unknown
  StopSignals* signals = nullptr;
  AgentConfiguration configuration;  // told to every agent that connects
  // Record the programs the target's descendants run, not only its own
  // (their agents connect when the environment says so: run --subprocesses).
  bool subprocesses = false;
  // Called once, when the target's agent has sent its first cycle: its hooks
  // are in, and what the target does from then on is recorded.
  std::function<void()> on_recording;
};

struct LoopResult {
  bool stop_requested = false;   // by a signal or the duration
  bool target_exited = false;    // the pidfd said so
  bool agent_finished = false;   // the target's last stream ended after its agent's goodbye
  bool agent_silent = false;     // asked to stop, an agent did not answer within the grace time
  int signal = 0;                // the signal that stopped it, if any
  std::string protocol_error;    // what an agent broke, when one did; empty otherwise
};

// `first` is the target's agent's connection, accepted by the caller.
LoopResult run_recording_loop(AgentListener& listener, UniqueFd first, RecordingSession& session,
                              const LoopOptions& options);

// Tells a freshly connected agent how to record. Call right after accepting.
void configure_agent(const UniqueFd& connection, const AgentConfiguration& configuration);

}  // namespace leakspy::recorder
