#pragma once
// Which Python types grow (objgraph's show_growth): a census of the live
// objects Python's garbage collector tracks (class instances, containers),
// counted by type, taken on a thread of the agent's own with the GIL held
// and sent by the writer (wire::MessageType::PythonTypes).
//
// A census walks every tracked object and holds the GIL meanwhile: the
// program's Python threads wait for it. By default censuses are a second
// apart and stop, with a note, once one takes over 10 ms (1% of the time);
// `leakspy run/record --types` keeps them on whatever they cost, a second
// apart or ten times as long as the last one took.

#include <cstdint>

#include "agent/transport.h"

namespace leakspy::agent::python {

// The session's start, once Python is ready.
void start_type_census();
// --types (the recorder's Configure): count whatever a census costs.
void set_type_census_always(bool always);
// In a forked child: the parent's census thread is not there; a new one
// counts the child's objects.
void restart_type_census_after_fork();
// Writer thread: sends the census taken since the last call, if any.
bool report_type_census(Transport& transport);
// The session's end: the census thread stops (at the process's exit, it is
// not waited for).
void stop_type_census(bool process_exit);

}  // namespace leakspy::agent::python
