#include "analyze/call_sites.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "analyze/site_frames.h"

namespace leakspy::analyze {

bool is_library_python_file(std::string_view file) {
  if (file.starts_with("<frozen")) return true;
  if (file.find("/site-packages/") != std::string_view::npos || file.find("/dist-packages/") != std::string_view::npos) {
    return true;
  }
  // ".../lib/python3.11/..." (the version directory, then a file below it).
  constexpr std::string_view kStandardLibrary = "/lib/python3.";
  for (size_t at = file.find(kStandardLibrary); at != std::string_view::npos;
       at = file.find(kStandardLibrary, at + 1)) {
    size_t cursor = at + kStandardLibrary.size();
    size_t digits = cursor;
    while (digits < file.size() && file[digits] >= '0' && file[digits] <= '9') ++digits;
    if (digits > cursor && digits < file.size() && file[digits] == '/') return true;
  }
  return false;
}

std::vector<LocationId> site_of_each_stack(const CaptureModel& model, const SiteRules& rules) {
  const SiteFrames frames(model, rules.allocation_functions);
  constexpr uint32_t kNone = UINT32_MAX;
  // outside[n]: the innermost location on the path from the root to n that
  // allocates for no caller; native_user[n]: of those, the innermost outside
  // the C++ standard library (site_frames.h); innermost[n]: n's innermost
  // location at all (the fallback for a stack made only of allocation functions).
  std::vector<uint32_t> outside(model.nodes.size(), kNone);
  std::vector<uint32_t> native_user(model.nodes.size(), kNone);
  // python[n], user[n]: the innermost Python location on the path from the
  // root to n, and the innermost one in the program's own files.
  std::vector<uint32_t> python(model.nodes.size(), kNone);
  std::vector<uint32_t> user(model.nodes.size(), kNone);
  std::vector<LocationId> sites(model.nodes.size(), SymbolTable::kNoStack);
  auto own_site = [&](uint32_t node, bool users_only) {
    for (LocationId location : model.node_locations(StackId(node))) {
      if (!frames.allocates_for_caller(location) && !(users_only && frames.is_library(location))) {
        return location.value();
      }
    }
    return kNone;
  };
  auto own_python = [&](uint32_t node, bool users_only) {
    for (LocationId location : model.node_locations(StackId(node))) {
      const Location& place = model.symbols.location(location);
      if (place.kind == LocationKind::Python && !(users_only && is_library_python_file(place.file))) {
        return location.value();
      }
    }
    return kNone;
  };
  for (uint32_t node : model.node_order) {  // parents first
    uint32_t parent = model.nodes[node].parent.value();
    uint32_t own = own_site(node, false);
    outside[node] = own != kNone ? own : outside[parent];
    uint32_t own_user_native = own_site(node, true);
    native_user[node] = own_user_native != kNone ? own_user_native : native_user[parent];
    if (rules.rule == SiteRule::PythonLine) {
      uint32_t own_line = own_python(node, false);
      python[node] = own_line != kNone ? own_line : python[parent];
      uint32_t own_user_line = own_python(node, true);
      user[node] = own_user_line != kNone ? own_user_line : user[parent];
    }
    if (user[node] != kNone) {
      sites[node] = LocationId(user[node]);
    } else if (python[node] != kNone) {
      sites[node] = LocationId(python[node]);
    } else if (native_user[node] != kNone) {
      sites[node] = LocationId(native_user[node]);
    } else if (outside[node] != kNone) {
      sites[node] = LocationId(outside[node]);
    } else {
      std::span<const LocationId> chain = model.node_locations(StackId(node));
      sites[node] = chain.empty() ? SymbolTable::kNoStack : chain.front();
    }
  }
  // Stacks used by events but never defined keep kNoStack.
  return sites;
}

std::vector<CallSite> call_sites(const CaptureModel& model, Metric metric, const SiteRules& rules,
                                 SiteGrouping grouping) {
  std::vector<LocationId> sites = site_of_each_stack(model, rules);
  std::unordered_map<uint64_t, size_t> index;  // site << 32 | pid (by process) -> its entry
  std::vector<CallSite> result;
  std::vector<std::set<uint32_t>> pids;  // per entry
  for (size_t stack = 0; stack < model.stacks.size(); ++stack) {
    const StackTotals& totals = model.stacks[stack];
    if (totals.empty()) continue;
    LocationId site = stack < sites.size() ? sites[stack] : SymbolTable::kNoStack;
    uint32_t process = stack < model.nodes.size() ? model.nodes[stack].process : 0;
    uint32_t pid = process < model.processes.size() ? model.processes[process].pid : 0;
    uint32_t own_pid = grouping == SiteGrouping::ByProcess ? pid : 0;
    auto [it, inserted] = index.try_emplace(uint64_t{site.value()} << 32 | own_pid, result.size());
    if (inserted) {
      result.push_back({site, {}, 0, own_pid, {}});
      pids.emplace_back();
    }
    CallSite& entry = result[it->second];
    entry.totals.add(totals);
    ++entry.stacks;
    if (process < model.processes.size()) pids[it->second].insert(pid);
  }
  for (size_t i = 0; i < result.size(); ++i) result[i].pids.assign(pids[i].begin(), pids[i].end());
  const SymbolTable& symbols = model.symbols;
  std::sort(result.begin(), result.end(), [&](const CallSite& a, const CallSite& b) {
    uint64_t va = metric_value(a.totals, metric);
    uint64_t vb = metric_value(b.totals, metric);
    if (va != vb) return va > vb;
    if (a.location != b.location) return symbols.label(a.location) < symbols.label(b.location);
    return a.pid < b.pid;
  });
  return result;
}

}  // namespace leakspy::analyze
