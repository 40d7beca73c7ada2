#pragma once
// Growth per call site: each site's live bytes over the time slices (the sum
// of its stacks' series), with the verdict of growth_verdict.h, and the same
// for the counted heaps together. What `leakspy growth`, `check` and
// `timeline` report. For a capture that attached mid-run, the series hold
// only what was allocated within the recording: verdicts speak of growth
// within that window (`attached_mid_run` says so).
// Pure function of the model; not thread-safe (labels are cached).

#include <cstdint>
#include <vector>

#include "analyze/call_sites.h"
#include "analyze/capture_model.h"
#include "analyze/growth_verdict.h"
#include "analyze/memory_growth.h"

namespace leakspy::analyze {

// What keeps a site's objects alive (capture_model.h's KeptBy), by site.
struct SiteKeptBy {
  std::string chain;
  LocationId holder;    // the site that allocated the object below the root; kNoStack: unknown
  LocationId grown_at;  // the site that grew its item array; kNoStack: unknown or none
};

struct SiteGrowth {
  LocationId location;
  std::vector<SiteKeptBy> kept_by;  // distinct chains
  uint32_t stacks = 0;            // distinct stacks reaching the site
  std::vector<SliceLive> series;  // one per slice
  GrowthVerdict verdict;
  uint64_t live_bytes = 0;  // at the end of the recording
};

struct GrowthAnalysis {
  uint32_t slices = 0;
  double slice_seconds = 0;
  double covered_seconds = 0;  // slices x slice_seconds: what the verdicts span
  bool attached_mid_run = false;
  VerdictThresholds thresholds;
  std::vector<SliceLive> total_series;  // the counted heaps together
  GrowthVerdict total;
  std::vector<SiteGrowth> sites;  // every site that held memory, most worrying first (verdict_rank, then slope)
  MemoryGrowth memory;            // the process's RSS: why it grows

  size_t count(Verdict verdict) const;
};

// Leak 0, released late 1, sawtooth 2, plateau 3, stable 4, not enough data 5.
int verdict_rank(Verdict verdict);

// `model` must have been read with a SlicePlan (model.slices).
GrowthAnalysis analyze_growth(const CaptureModel& model, const VerdictThresholds& thresholds,
                              const SiteRules& rules = {});

}  // namespace leakspy::analyze
