#pragma once
// `leakspy check`: the gate's decision in a few lines for a CI log, and the
// JSON report for CI artifacts whose schema is docs/check-report.md.
// Not thread-safe (labels are cached).

#include <nlohmann/json.hpp>
#include <ostream>

#include "analyze/capture_model.h"
#include "analyze/leak_gate.h"
#include "analyze/site_growth.h"

#include <vector>

namespace leakspy::render {

// One process of a capture that holds several, checked on its own events: a
// worker's leak can hide in the sum of all (a restarted worker's exit
// looks like a release there).
struct ProcessCheck {
  uint32_t pid = 0;
  const analyze::CaptureModel* model = nullptr;  // read with that process's events only
  const analyze::GrowthAnalysis* analysis = nullptr;
  analyze::GateResult gate;
};

// The gate's decision: the whole capture's, unless a process fails alone.
analyze::GateStatus check_status(const analyze::GateResult& whole, const std::vector<ProcessCheck>& processes);

void print_check_summary(std::ostream& out, const analyze::CaptureModel& model, const analyze::GrowthAnalysis& analysis,
                         const analyze::GateResult& gate, const std::vector<ProcessCheck>& processes = {});

// Schema version 1 (docs/check-report.md).
nlohmann::json check_json(const analyze::CaptureModel& model, const analyze::GrowthAnalysis& analysis,
                          const analyze::GateResult& gate, const std::vector<ProcessCheck>& processes = {});

}  // namespace leakspy::render
