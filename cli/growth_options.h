#pragma once
// The options `growth`, `timeline` and `check` share: how to slice the
// recording (--slices N or --every 10s), which heaps and sites count, and
// every verdict threshold of docs/leak-verdicts.md under its own name.

#include <CLI/CLI.hpp>
#include <string>

#include "analyze/call_sites.h"
#include "analyze/capture_model.h"
#include "analyze/growth_verdict.h"
#include "analyze/site_growth.h"

namespace leakspy::cli {

struct GrowthOptions {
  uint32_t slices = 30;
  std::string every;  // a duration; empty: --slices
  std::string heap = "host";
  bool native_sites = false;
  analyze::VerdictThresholds thresholds;
  // Thresholds typed as quantities, parsed when the command runs.
  std::string min_duration;
  std::string leak_min_slope;
  std::string stable_max_growth;
};

// Adds the options to `command`, writing into `options` (which must outlive it).
void add_growth_options(CLI::App* command, GrowthOptions& options, const std::string& default_heap = "host");

// Reads `path` with the slices the options ask for and analyzes its growth.
// Throws Error(Usage) for a malformed quantity.
struct GrowthInput {
  analyze::CaptureModel model;
  analyze::GrowthAnalysis analysis;
};
GrowthInput load_growth(const std::string& path, const GrowthOptions& options);

}  // namespace leakspy::cli
