#pragma once
// `leakspy check`: the gate's decision in a few lines for a CI log, and the
// JSON report for CI artifacts whose schema is docs/check-report.md.
// Not thread-safe (labels are cached).

#include <nlohmann/json.hpp>
#include <ostream>

#include "analyze/capture_model.h"
#include "analyze/leak_gate.h"
#include "analyze/site_growth.h"

namespace leakspy::render {

void print_check_summary(std::ostream& out, const analyze::CaptureModel& model, const analyze::GrowthAnalysis& analysis,
                         const analyze::GateResult& gate);

// Schema version 1 (docs/check-report.md).
nlohmann::json check_json(const analyze::CaptureModel& model, const analyze::GrowthAnalysis& analysis,
                          const analyze::GateResult& gate);

}  // namespace leakspy::render
