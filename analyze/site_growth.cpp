#include "analyze/site_growth.h"

#include <algorithm>
#include <unordered_map>

#include "common/error.h"

namespace leakspy::analyze {

int verdict_rank(Verdict verdict) {
  switch (verdict) {
    case Verdict::Leak: return 0;
    case Verdict::ReleasedLate: return 1;
    case Verdict::Sawtooth: return 2;
    case Verdict::Plateau: return 3;
    case Verdict::Stable: return 4;
    case Verdict::NotEnoughData: return 5;
  }
  return 6;
}

size_t GrowthAnalysis::count(Verdict verdict) const {
  return static_cast<size_t>(std::count_if(sites.begin(), sites.end(),
                                           [&](const SiteGrowth& site) { return site.verdict.verdict == verdict; }));
}

GrowthAnalysis analyze_growth(const CaptureModel& model, const VerdictThresholds& thresholds,
                              const SiteRules& rules) {
  if (!model.slices) throw Error(ErrorKind::Internal, "growth analysis needs a model read with time slices");
  const TimeSlices& slices = *model.slices;
  GrowthAnalysis analysis;
  analysis.slices = slices.count();
  analysis.slice_seconds = model.seconds(1) * slices.slice_units();
  analysis.covered_seconds = analysis.slice_seconds * slices.count();
  analysis.attached_mid_run = model.header.attached_mid_run();
  analysis.thresholds = thresholds;
  analysis.total_series = slices.total_series();
  analysis.total = classify_growth(analysis.total_series, analysis.covered_seconds, thresholds);
  analysis.memory = analyze_memory_growth(model, thresholds);

  std::vector<LocationId> site_of = site_of_each_stack(model, rules);
  std::unordered_map<uint32_t, size_t> index;
  for (size_t stack = 0; stack < model.stacks.size(); ++stack) {
    const StackTotals& totals = model.stacks[stack];
    if (totals.allocations == 0) continue;  // never allocated within the recording: no series
    LocationId site = stack < site_of.size() ? site_of[stack] : SymbolTable::kNoStack;
    auto [it, inserted] = index.try_emplace(site.value(), analysis.sites.size());
    if (inserted) {
      analysis.sites.emplace_back();
      analysis.sites.back().location = site;
      analysis.sites.back().series.resize(slices.count());
    }
    SiteGrowth& growth = analysis.sites[it->second];
    slices.add_stack_series(static_cast<uint32_t>(stack), growth.series);
    growth.live_bytes += totals.live_bytes;
    ++growth.stacks;
  }
  for (SiteGrowth& site : analysis.sites) {
    site.verdict = classify_growth(site.series, analysis.covered_seconds, thresholds);
  }
  auto site_at = [&](StackId stack) {
    return stack.value() != 0 && stack.value() < site_of.size() ? site_of[stack.value()] : SymbolTable::kNoStack;
  };
  for (const KeptBy& kept : model.kept_by) {
    auto it = index.find(site_at(kept.stack).value());
    if (it == index.end() || kept.stack.value() == 0) continue;
    std::vector<SiteKeptBy>& chains = analysis.sites[it->second].kept_by;
    bool known = std::any_of(chains.begin(), chains.end(), [&](const SiteKeptBy& other) { return other.chain == kept.chain; });
    if (!known) chains.push_back({kept.chain, site_at(kept.holder_stack), site_at(kept.items_stack)});
  }
  const SymbolTable& symbols = model.symbols;
  std::sort(analysis.sites.begin(), analysis.sites.end(), [&](const SiteGrowth& a, const SiteGrowth& b) {
    int rank_a = verdict_rank(a.verdict.verdict), rank_b = verdict_rank(b.verdict.verdict);
    if (rank_a != rank_b) return rank_a < rank_b;
    if (a.verdict.slope != b.verdict.slope && a.verdict.verdict == Verdict::Leak)
      return a.verdict.slope > b.verdict.slope;
    uint64_t rise_a = std::max(a.verdict.growth, a.verdict.peak), rise_b = std::max(b.verdict.growth, b.verdict.peak);
    if (rise_a != rise_b) return rise_a > rise_b;
    return symbols.label(a.location) < symbols.label(b.location);
  });
  return analysis;
}

}  // namespace leakspy::analyze
