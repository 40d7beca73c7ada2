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
#include "cli/site_options.h"

namespace leakspy::cli {

struct GrowthOptions {
  uint32_t slices = 30;
  double every_seconds = 0;  // slices of this length; 0: --slices
  std::string heap = "host";
  uint32_t process = 0;  // --process: only that pid's events (0: all)
  SiteOptions sites;
  analyze::VerdictThresholds thresholds;
};

// Adds the options to `command`, writing into `options` (which must outlive it).
void add_growth_options(CLI::App* command, GrowthOptions& options, const std::string& default_heap = "host");

// Reads `path` with the slices the options ask for and analyzes its growth.
struct GrowthInput {
  analyze::CaptureModel model;
  analyze::GrowthAnalysis analysis;
};
GrowthInput load_growth(const std::string& path, const GrowthOptions& options);

}  // namespace leakspy::cli
