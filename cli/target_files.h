#pragma once
// How `record` opens the target's files for the symbols written at the end
// of a recording: with the target's rights, through a helper in its view
// (attach::TargetFileOpener), started once the agent is connected. (`run`
// needs none: it started the target with its own rights.)

#include <sys/types.h>

#include "symbolize/symbol_types.h"

namespace leakspy::cli {

// The opener for the recording session. When the helper cannot start (the
// target already exited), says so on stderr and returns an empty function:
// then only modules with a build-id get symbols (symbolize/module_file_finder.h).
// Forks: call while leakspy has one thread.
symbolize::OpenAsTarget open_files_as_target(pid_t pid);

}  // namespace leakspy::cli
