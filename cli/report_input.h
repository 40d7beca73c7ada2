#pragma once
// What the report commands (top, flamegraph, export) share: reading the
// capture into the model, with a progress bar when stderr is a terminal, and
// writing their output to a file or stdout.

#include <fstream>
#include <functional>
#include <ostream>
#include <string>

#include "analyze/capture_model.h"

namespace leakspy::cli {

// Throws Error(CaptureUnreadable) or Error(Usage) for a bad --heap. Warns on
// stderr when the capture is truncated. With an enabled `slices` plan the
// same pass records time slices (growth, timeline, check, diff flame graphs).
analyze::CaptureModel load_report_model(const std::string& path, const std::string& heap,
                                        const analyze::SlicePlan& slices = {});

// Calls write(stream) with stdout for "-", else with `path` opened for
// writing; throws Error(OutputUnwritable) when it cannot be written.
void write_output(const std::string& path, const std::function<void(std::ostream&)>& write);

}  // namespace leakspy::cli
