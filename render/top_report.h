#pragma once
// `leakspy top`: the call sites with the most live / peak / allocated bytes or
// allocations, as an aligned text table or as JSON. Both come from one
// TopReport, so they always agree. Not thread-safe (the model's symbol table
// caches labels).

#include <cstddef>
#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

#include "analyze/call_sites.h"
#include "analyze/capture_model.h"

namespace leakspy::render {

struct TopOptions {
  analyze::Metric by = analyze::Metric::Live;
  size_t rows = 20;
  bool exact_bytes = false;  // text: byte counts in full instead of KiB/MiB
  analyze::SiteRules site;
  bool by_process = false;  // a row per site and process
};

struct TopReport {
  std::vector<analyze::CallSite> rows;  // the shown sites, in order
  size_t sites_with_value = 0;          // sites whose `by` value is not 0
  size_t sites = 0;                     // every site with any allocation
};

TopReport make_top_report(const analyze::CaptureModel& model, const TopOptions& options);

void print_top_table(std::ostream& out, const analyze::CaptureModel& model, const TopReport& report,
                     const TopOptions& options);

nlohmann::json top_json(const analyze::CaptureModel& model, const TopReport& report, const TopOptions& options);

}  // namespace leakspy::render
