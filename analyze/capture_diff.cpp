#include "analyze/capture_diff.h"

#include <algorithm>
#include <unordered_map>

namespace leakspy::analyze {

std::string match_key(const Location& location) {
  switch (location.kind) {
    case LocationKind::NoStack: return "[no stack]";
    case LocationKind::Unresolved: return location_label(location);  // module name + offset: the best there is
    case LocationKind::Python:
      return "py:" + location.function + " (" + location.file + ":" + std::to_string(location.line) + ")";
    case LocationKind::Native: break;
  }
  if (!location.function.empty()) return "native:" + location.function;
  return location_label(location);
}

CaptureDiff diff_captures(const CaptureModel& before, const CaptureModel& after, Metric metric,
                          const SiteRules& rules) {
  CaptureDiff diff;
  diff.metric = metric;
  diff.before_totals = before.totals;
  diff.after_totals = after.totals;
  std::unordered_map<std::string, size_t> index;
  auto add = [&](const CaptureModel& model, bool is_after) {
    for (const CallSite& site : call_sites(model, metric, rules)) {
      std::string key = match_key(model.symbols.location(site.location));
      auto [it, inserted] = index.try_emplace(key, diff.sites.size());
      if (inserted) diff.sites.push_back({key, std::nullopt, std::nullopt, {}, {}});
      SiteDiff& entry = diff.sites[it->second];
      // call_sites sorts by `metric`: the first location of a key is its largest.
      if (is_after) {
        if (!entry.after_site) entry.after_site = site.location;
        entry.after.add(site.totals);
      } else {
        if (!entry.before_site) entry.before_site = site.location;
        entry.before.add(site.totals);
      }
    }
  };
  add(before, false);
  add(after, true);
  std::sort(diff.sites.begin(), diff.sites.end(), [&](const SiteDiff& a, const SiteDiff& b) {
    int64_t da = a.delta(metric), db = b.delta(metric);
    uint64_t ma = static_cast<uint64_t>(da < 0 ? -da : da), mb = static_cast<uint64_t>(db < 0 ? -db : db);
    if (ma != mb) return ma > mb;
    if (da != db) return da > db;
    return a.key < b.key;
  });
  return diff;
}

}  // namespace leakspy::analyze
