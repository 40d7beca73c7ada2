#pragma once
// `leakspy check` as a CI gate: a recording fails when its leaking sites
// together grow faster than the allowed rate (by default any leak fails).
// Only the verdict decides what a leak is (growth_verdict.h); the allowance
// lets a team accept a known slow leak while it is being fixed.
// Pure function; thread-safe.

#include <vector>

#include "analyze/site_growth.h"

namespace leakspy::analyze {

enum class GateStatus {
  Pass,         // no leak beyond the allowance
  Fail,         // leaks grow faster than the allowance
  Inconclusive  // the recording is too short for verdicts (it passes: say how long to record)
};

const char* gate_status_name(GateStatus status);

struct GateResult {
  GateStatus status = GateStatus::Pass;
  double leak_rate = 0;       // bytes/s: the leaking sites' slopes together
  double allowed_rate = 0;    // bytes/s: --max-growth
  std::vector<size_t> leaks;  // indexes into analysis.sites of the leaking sites
  bool retention = false;     // failed for allocator retention (--fail-on-retention)
};

// With `fail_on_retention`, RSS that grows from allocator retention
// (analysis.memory) fails too, though no site leaks.
GateResult apply_leak_gate(const GrowthAnalysis& analysis, double allowed_rate, bool fail_on_retention = false);

}  // namespace leakspy::analyze
