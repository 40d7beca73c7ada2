#pragma once
// Per call site totals: each stack's numbers land on its site, the innermost
// location of the stack that is not in an allocation function
// (allocation_functions.h), inlined frames included; for a stack with Python
// frames, by default the line of the user's code that made the call: the
// innermost Python frame outside installed packages and the standard library
// (or the innermost Python frame when all are there), even when an extension
// (libtorch's allocator) holds native frames below it. The same numbers as
// the stacks, grouped another way: the sites' totals sum to the model's.
// Pure functions over the model; not thread-safe (labels are cached).

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "analyze/capture_model.h"
#include "analyze/metric.h"

namespace leakspy::analyze {

enum class SiteRule {
  PythonLine,  // the user's innermost Python line when the stack has Python frames, else as Native
  Native,      // the innermost frame outside the allocation functions
};

// How sites are chosen: the rule, and more functions that allocate for their
// callers (--alloc-fn: a wrapper the stacks do not show as one).
struct SiteRules {
  SiteRules(SiteRule site_rule = SiteRule::PythonLine, std::vector<std::string> functions = {})  // NOLINT: a rule alone converts
      : rule(site_rule), allocation_functions(std::move(functions)) {}
  SiteRule rule;
  std::vector<std::string> allocation_functions;
};

struct CallSite {
  LocationId location;
  StackTotals totals;
  uint32_t stacks = 0;         // how many distinct stacks reach it
  uint32_t pid = 0;            // SiteGrouping::ByProcess: the process's (0 otherwise)
  std::vector<uint32_t> pids;  // of the processes it is in, ascending (an exec keeps its pid)

  // In how many processes (at least 1: a capture without process records has one).
  uint32_t processes() const { return static_cast<uint32_t>(std::max<size_t>(1, pids.size())); }
};

enum class SiteGrouping {
  AllProcesses,  // one site over every process of the capture
  ByProcess,     // one per site and pid (top --by-process)
};

// Whether a Python file is a library's rather than the program's: under
// site-packages or dist-packages, the standard library (lib/pythonX.Y/), or
// frozen (<frozen ...>).
bool is_library_python_file(std::string_view file);

// The site of every stack, by stack id (kNoStack for the root and stackless events).
std::vector<LocationId> site_of_each_stack(const CaptureModel& model, const SiteRules& rules = {});

// Every site with any allocation or live bytes, highest `metric` first (ties
// by label, so the order is deterministic).
std::vector<CallSite> call_sites(const CaptureModel& model, Metric metric, const SiteRules& rules = {},
                                 SiteGrouping grouping = SiteGrouping::AllProcesses);

}  // namespace leakspy::analyze
