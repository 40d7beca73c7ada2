#pragma once
// Short messages from the agent to the user ("Python 3.8 is not supported:
// native frames only"), sent by the writer thread, printed by leakspy and kept
// in the capture. Thread-safe; never allocates; a full queue drops notes.

#include <cstdint>

#include "agent/transport.h"
#include "capture/format.h"

namespace leakspy::agent {

void post_note(capture::NoteSeverity severity, const char* text);
// Writer thread: sends the notes posted since the last call.
bool report_notes(Transport& transport);
// A new session: forget the notes of the last one.
void forget_notes();
// In a forked child: the queue's lock may have been held by a thread of the
// parent that the child does not have. Async-signal-safe.
void release_note_lock_after_fork();

}  // namespace leakspy::agent
