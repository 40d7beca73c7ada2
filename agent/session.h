#pragma once
// A recording session: connect to the recorder, install the hooks, run the
// writer loop until told to stop (or the recorder disappears, or the process
// exits), then unhook and go quiet. One session at a time; after it ends the
// agent stays loaded and inert, and a later session reuses it.

#include <cstdint>

#include "agent/decimal_text.h"
#include "capture/wire.h"

namespace leakspy::agent {

// Also what leakspy_agent_start returns to leakspy (capture/wire.h).
using StartResult = wire::StartResult;

// Everything before the writer loop: one-time set-up, connect, hello, module
// list, hooks, tracking on. Runs on the thread that installs the hooks (the
// preload constructor, or the agent thread when attached).
// `claimed`: the caller already holds the session through claim_session.
StartResult open_session(const char* socket_path, uint32_t hello_flags, bool claimed = false);
// Takes the one session for a start that opens it later, on another thread
// (attach): a second leakspy learns at once that one is recording. False if a
// session is running or claimed.
bool claim_session();
// Gives back a claim whose open_session will not happen.
void release_session_claim();
// The writer loop; returns when the session has ended. Runs on an agent
// thread (agent_thread.h).
void run_writer_loop();
// Ends a session that open_session started when its writer thread could not be.
void cancel_session();
// Called at process exit: marks the exit, asks the writer to flush and waits
// for it (bounded). Does nothing in a process that shares the memory of the
// recorded one without being it (a vfork child).
void finish_session_at_exit();
// Whether a fork of the process goes on being recorded (`--subprocesses`).
void set_follows_forks(bool follows);
// LEAKSPY_PID's value for a program this process starts or execs while a
// session runs: wire::kEveryPid when forks are followed, else the recorded
// process's pid (a program another process runs then knows it is not
// recorded). False when no session runs. Async-signal-safe.
bool recorded_pid_text(char (&text)[kDecimalDigitsMax + 1]);

enum class ForkedSession {
  None,      // no session was running in the parent
  Followed,  // the child records on: a session of its own, its own connection
  Dropped,   // the child is not recorded: tracking off, the socket closed
};
// Called in the child after fork(), on the thread that forked. Only
// async-signal-safe work until the child's writer thread runs: the parent's
// unsent events dropped, the child's thread kept, progress forgotten (the
// child's stream sends the trace tree, modules and code it inherited again).
// The writer connects on its own thread and goes on as run_writer_loop.
ForkedSession session_after_fork();

}  // namespace leakspy::agent
