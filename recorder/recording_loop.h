#pragma once
// Reads the agent's stream into a RecordingSession until the recording ends:
// the target exits, the duration passes, or SIGINT/SIGTERM arrives (then the
// agent is asked to stop and given a few seconds to flush; a second signal
// stops waiting), or the agent breaks the wire protocol (then the recorder
// hangs up at once, so a well-behaved agent unhooks, and the capture says why
// it ended; the caller finishes it and reports the error). Not thread-safe.

#include <string>

#include "common/unique_fd.h"
#include "recorder/recording_session.h"
#include "recorder/stop_signals.h"

namespace leakspy::recorder {

struct LoopOptions {
  double duration_seconds = 0;  // 0: no limit
  int target_pidfd = -1;        // readable when the target exits; -1 if unknown
  StopSignals* signals = nullptr;
};

struct LoopResult {
  bool stop_requested = false;   // by a signal or the duration
  bool target_exited = false;    // the pidfd said so
  bool agent_finished = false;   // the stream ended after the agent's goodbye
  bool agent_silent = false;     // asked to stop, the agent did not answer within the grace time
  int signal = 0;                // the signal that stopped it, if any
  std::string protocol_error;    // what the agent broke, when it did; empty otherwise
};

LoopResult run_recording_loop(const UniqueFd& connection, RecordingSession& session, const LoopOptions& options);

struct AgentConfiguration {
  bool native_frames = false;  // Python targets: keep the interpreter's native frames too
};
// Tells a freshly connected agent how to record. Call right after accepting.
void configure_agent(const UniqueFd& connection, const AgentConfiguration& configuration);

}  // namespace leakspy::recorder
