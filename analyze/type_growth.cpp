#include "analyze/type_growth.h"

#include <algorithm>
#include <map>

#include "analyze/memory_growth.h"
#include "analyze/site_growth.h"

namespace leakspy::analyze {

VerdictThresholds type_thresholds(const VerdictThresholds& thresholds) {
  VerdictThresholds counts = thresholds;
  counts.leak_min_slope = 0.5;
  counts.stable_max_growth = 16;
  counts.unit = "objects";
  return counts;
}

TypeGrowthAnalysis analyze_type_growth(const CaptureModel& model, const VerdictThresholds& thresholds) {
  TypeGrowthAnalysis analysis;
  analysis.thresholds = type_thresholds(thresholds);
  if (!model.slices || model.slices->count() == 0) return analysis;
  const TimeSlices& slices = *model.slices;
  uint32_t count = slices.count();
  double seconds = model.seconds(1) * slices.covered_units();

  // Each process's censuses, in time order: a type a census does not list
  // had fewer objects than the census lists (0 here).
  std::map<uint32_t, std::vector<const TypeCensus*>> by_process;
  for (const TypeCensus& census : model.type_censuses) {
    if (census.time > model.end_time) continue;  // the teardown
    by_process[census.process].push_back(&census);
    ++analysis.censuses;
  }
  std::vector<std::vector<SliceLive>> sums(model.type_names.size(), std::vector<SliceLive>(count));
  std::vector<uint64_t> at_end(model.type_names.size(), 0);
  std::vector<bool> seen(model.type_names.size(), false);
  for (const auto& [process, censuses] : by_process) {
    std::vector<double> times;
    for (const TypeCensus* census : censuses) times.push_back(static_cast<double>(census->time) / slices.slice_units());
    std::vector<std::vector<uint64_t>> values(model.type_names.size());
    std::vector<bool> listed(model.type_names.size(), false);
    for (const TypeCensus* census : censuses) {
      for (const auto& [type, objects] : census->counts) listed[type] = true;
    }
    for (uint32_t type = 0; type < model.type_names.size(); ++type) {
      if (listed[type]) values[type].assign(censuses.size(), 0);
    }
    for (size_t i = 0; i < censuses.size(); ++i) {
      for (const auto& [type, objects] : censuses[i]->counts) values[type][i] = objects;
    }
    for (uint32_t type = 0; type < model.type_names.size(); ++type) {
      if (!listed[type]) continue;
      seen[type] = true;
      at_end[type] += values[type].back();
      std::vector<SliceLive> series = slice_samples(times, values[type], count);
      for (uint32_t slice = 0; slice < count; ++slice) {
        sums[type][slice].low += series[slice].low;
        sums[type][slice].high += series[slice].high;
        sums[type][slice].end += series[slice].end;
      }
    }
  }
  for (uint32_t type = 0; type < model.type_names.size(); ++type) {
    if (!seen[type]) continue;
    TypeGrowth growth;
    growth.name = model.type_names[type];
    growth.series = std::move(sums[type]);
    growth.verdict = classify_growth(growth.series, seconds, analysis.thresholds);
    growth.count_at_end = at_end[type];
    analysis.types.push_back(std::move(growth));
  }
  std::stable_sort(analysis.types.begin(), analysis.types.end(), [](const TypeGrowth& a, const TypeGrowth& b) {
    int rank_a = verdict_rank(a.verdict.verdict), rank_b = verdict_rank(b.verdict.verdict);
    if (rank_a != rank_b) return rank_a < rank_b;
    return a.verdict.slope > b.verdict.slope;
  });
  return analysis;
}

}  // namespace leakspy::analyze
