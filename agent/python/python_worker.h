#pragma once
// The agent's Python worker: a thread of the agent's own that runs Python
// code in the target with the GIL held, for what only Python can tell. The
// writer thread never takes the GIL (a Python thread holding it may wait for
// the writer to drain its ring); it hands work to this thread and sends what
// comes back.
//
// - Which Python types grow (objgraph's show_growth): a census of the live
//   objects the garbage collector tracks, counted by type
//   (wire::MessageType::PythonTypes). A census walks every tracked object
//   and holds the GIL meanwhile: the program's Python threads wait for it.
//   By default censuses are a second apart and stop, with a note, once one
//   takes over 10 ms (1% of the time); `leakspy run/record --types` keeps
//   them on whatever they cost, a second apart or ten times as long as the
//   last one took.
// - Who keeps an object alive (wire::MessageType::KeptBy): asked by the
//   recorder as the recording ends, answered within 2 s.

#include <cstdint>

#include "agent/transport.h"
#include "capture/wire.h"

namespace leakspy::agent::python {

// The session's start, once Python is ready.
void start_python_worker();
// --types (the recorder's Configure): count whatever a census costs.
void set_type_census_always(bool always);
// In a forked child: the parent's worker thread is not there; a new one
// works for the child.
void restart_python_worker_after_fork();
// Writer thread: sends the census taken since the last call, if any.
bool report_type_census(Transport& transport);
// Writer thread: hands a KeptByQuery to the worker; false when there is no
// worker to answer it (no Python, or a query still running).
bool ask_kept_by(const wire::WireKeptBySample* samples, uint32_t count);
// Writer thread: sends the answer to the query, once there is one.
bool report_kept_by(Transport& transport);
// The session's end: the worker stops (at the process's exit, it is not
// waited for).
void stop_python_worker(bool process_exit);

}  // namespace leakspy::agent::python
