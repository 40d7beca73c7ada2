#pragma once
// Which Python types grow (objgraph's show_growth, over time): each type's
// count of live objects over the time slices, from the agent's censuses
// (capture::PythonTypesRecord), with the verdicts of growth_verdict.h
// applied to counts instead of bytes. What `leakspy growth --types` reports.
// Pure function of the model; thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "analyze/capture_model.h"
#include "analyze/growth_verdict.h"

namespace leakspy::analyze {

struct TypeGrowth {
  std::string name;               // module and qualified name: "app.models.Session"
  std::vector<SliceLive> series;  // live objects, one per slice
  GrowthVerdict verdict;
  uint64_t count_at_end = 0;
};

struct TypeGrowthAnalysis {
  size_t censuses = 0;           // within the program's life
  VerdictThresholds thresholds;  // the ones for counts (type_thresholds)
  std::vector<TypeGrowth> types;  // most worrying first (verdict_rank, then slope)
};

// The thresholds for counts of objects: those of `thresholds` for time and
// shape, with a leak at 0.5 objects/s (30 a minute) and stable below 16.
VerdictThresholds type_thresholds(const VerdictThresholds& thresholds);

// `model` must have been read with a SlicePlan (model.slices).
TypeGrowthAnalysis analyze_type_growth(const CaptureModel& model, const VerdictThresholds& thresholds);

}  // namespace leakspy::analyze
