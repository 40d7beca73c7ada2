#pragma once
// JSON pieces every report shares (top, growth, diff, check), worded once:
// the capture, a location, a set of totals. Pure functions; not thread-safe
// (labels are cached by the symbol table).

#include <nlohmann/json.hpp>

#include "analyze/capture_model.h"
#include "analyze/metric.h"
#include "analyze/symbol_table.h"

namespace leakspy::render {

// command, executable, pid, hostname, start_unix_ns, duration_seconds,
// attached_mid_run, truncated (and truncation), target_end, exit_status.
nlohmann::json capture_json(const analyze::CaptureModel& model);

// selection (--heap), counted (the heaps' names) and gpu: every GPU heap of
// the capture with its level, live_bytes and peak_bytes (reserved vs allocated).
nlohmann::json heaps_json(const analyze::CaptureModel& model);

// location (the label), kind (native, python, unresolved, no-stack),
// function, file, line, module.
nlohmann::json location_json(const analyze::SymbolTable& symbols, analyze::LocationId location);

// live_bytes, peak_bytes, allocated_bytes, allocations.
nlohmann::json totals_json(const analyze::StackTotals& totals);

}  // namespace leakspy::render
