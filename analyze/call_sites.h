#pragma once
// Per call site totals: each stack's numbers land on its site, the innermost
// location of the stack that is not in an allocation function
// (allocation_functions.h), inlined frames included. The same numbers as the
// stacks, grouped another way: the sites' totals sum to the model's.
// Pure functions over the model; not thread-safe (labels are cached).

#include <vector>

#include "analyze/capture_model.h"
#include "analyze/metric.h"

namespace leakspy::analyze {

struct CallSite {
  LocationId location;
  StackTotals totals;
  uint32_t stacks = 0;  // how many distinct stacks reach it
};

// The site of every stack, by stack id (kNoStack for the root and stackless events).
std::vector<LocationId> site_of_each_stack(const CaptureModel& model);

// Every site with any allocation or live bytes, highest `metric` first (ties
// by label, so the order is deterministic).
std::vector<CallSite> call_sites(const CaptureModel& model, Metric metric);

}  // namespace leakspy::analyze
