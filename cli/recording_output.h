#pragma once
// What `run` and `record` print while and after recording: the agent's notes,
// the one-line summary of the capture written, and how a broken protocol ends it.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "capture/records.h"
#include "recorder/recording_session.h"

namespace leakspy::cli {

void print_note(const capture::NoteRecord& note);
void print_summary(const recorder::RecordingSession& session, double seconds);
// Once the capture is finished: throws Error(AgentProtocol) naming what the
// agent broke and that `path` holds everything before it (exit code 17).
[[noreturn]] void throw_protocol_error(const std::string& what, const std::string& path);

// --debug-dir DIR (repeatable), for `run` and `record`: where else the
// symbols of stripped modules are (DIR/.build-id/xx/rest.debug, and
// DIR/<module's folder>/<its .gnu_debuglink>), before /usr/lib/debug.
void add_debug_directory_option(CLI::App* command, std::vector<std::string>& directories);
// --native (keep the interpreter's native frames) and --types (count Python
// types at every census, whatever it costs), for run and record.
void add_python_options(CLI::App* command, bool& native, bool& types);

}  // namespace leakspy::cli
