#pragma once
// The facts every report states above its numbers, worded once: what was
// recorded, for how long, which heaps count, the totals, and what limits the
// numbers (dropped events, attached mid-run, a truncated capture).
// Pure functions; thread-safe.

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "analyze/capture_model.h"
#include "analyze/metric.h"

namespace leakspy::render {

// The recorded command line, or the executable when there is none.
std::string command_text(const capture::CaptureHeader& header);

// What one process ran, as typed: "python3 app.py".
std::string program_text(const analyze::ProcessInfo& process);

// The recorded programs in order: "env A=1 python3 app.py -exec-> /usr/bin/python3 app.py".
std::string programs_text(const analyze::CaptureModel& model);

// "3.91 MiB live at the end, peak 3.91 MiB at 170 ms, 4.27 MiB allocated in 5,001 allocations"
std::string totals_text(const analyze::CaptureModel& model);

// The exit code or signal number of a target that ended, when the recorder
// knew it: `record --pid` is not its target's parent, cannot wait for it, and
// writes -1 when the target exits (docs/capture-format.md).
std::optional<int> known_exit_status(const capture::Trailer& trailer);

// "pid 31979 on host, 176 ms from the program's start, exited with status 0";
// "..., from the moment leakspy attached, exited during the recording" when
// its status is not known.
std::string recording_text(const analyze::CaptureModel& model);

// Warnings a reader must see: truncation, dropped events, attached mid-run, the agent's warnings.
std::vector<std::string> caveats(const analyze::CaptureModel& model);

// The lines text reports start with: command, recording, heaps, totals,
// dropped events and a WARNING line per caveat.
void print_summary_lines(std::ostream& out, const analyze::CaptureModel& model);

// "Memory live at the end", "Memory live at the peak", ...
std::string metric_title(analyze::Metric metric, bool reverse);

// A value of `metric` for people: "3.91 MiB" or "1,234 allocations".
std::string metric_text(analyze::Metric metric, uint64_t value);

}  // namespace leakspy::render
