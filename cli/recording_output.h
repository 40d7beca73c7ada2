#pragma once
// What `run` and `record` print while and after recording: the agent's notes
// and the one-line summary of the capture written.

#include "capture/records.h"
#include "recorder/recording_session.h"

namespace leakspy::cli {

void print_note(const capture::NoteRecord& note);
void print_summary(const recorder::RecordingSession& session, double seconds);

}  // namespace leakspy::cli
