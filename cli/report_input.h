#pragma once
// What the report commands share on the way in: reading the capture into the
// model, with a progress bar when stderr is a terminal. (Their output:
// cli/report_output.h.)

#include <string>

#include <CLI/CLI.hpp>

#include "analyze/capture_model.h"

namespace leakspy::cli {

// Throws Error(CaptureUnreadable) or Error(Usage) for a bad --heap. Warns on
// stderr when the capture is truncated. With an enabled `slices` plan the
// same pass records time slices (growth, timeline, check, diff flame graphs).
// `process`: --process, only that pid's events count (0: every process's);
// Error(Usage) when the capture holds no process with that pid.
analyze::CaptureModel load_report_model(const std::string& path, const std::string& heap,
                                        const analyze::SlicePlan& slices = {}, uint32_t process = 0);
// Adds --process PID to a report command.
void add_process_option(CLI::App* command, uint32_t& process);

}  // namespace leakspy::cli
