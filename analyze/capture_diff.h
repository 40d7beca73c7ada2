#pragma once
// Two captures compared site by site (`leakspy diff`): the same call site is
// found in both by what it is, never by address (addresses differ between
// runs and builds): a native site by its function's name, a Python site by
// its function, file and line, an unresolved frame by module name and
// offset. Pure functions; not thread-safe (labels are cached).

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyze/call_sites.h"
#include "analyze/capture_model.h"
#include "analyze/metric.h"

namespace leakspy::analyze {

// The identity of a place across captures. Two lines of one native function
// are one place: a rebuilt program's lines move.
std::string match_key(const Location& location);

struct SiteDiff {
  std::string key;                        // match_key of the site
  std::optional<LocationId> before_site;  // in the first capture's symbols, when present there
  std::optional<LocationId> after_site;   // in the second's
  StackTotals before;
  StackTotals after;
  // after - before, within +-INT64_MAX: totals from a capture can be any
  // 64-bit value, and callers negate the result.
  int64_t delta(Metric metric) const {
    constexpr uint64_t kLargest = INT64_MAX;
    uint64_t a = metric_value(after, metric), b = metric_value(before, metric);
    if (a >= b) return static_cast<int64_t>(std::min(a - b, kLargest));
    return -static_cast<int64_t>(std::min(b - a, kLargest));
  }
};

struct CaptureDiff {
  Metric metric = Metric::Live;
  StackTotals before_totals;
  StackTotals after_totals;
  std::vector<SiteDiff> sites;  // largest change of `metric` first (ties by key)
};

CaptureDiff diff_captures(const CaptureModel& before, const CaptureModel& after, Metric metric,
                          const SiteRules& rules = {});

}  // namespace leakspy::analyze
