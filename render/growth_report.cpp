#include "render/growth_report.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <vector>

#include "render/report_json.h"
#include "render/report_summary.h"
#include "render/units.h"

namespace leakspy::render {

namespace {

std::string pad_left(const std::string& text, size_t width) {
  return text.size() >= width ? text : std::string(width - text.size(), ' ') + text;
}
std::string pad_right(const std::string& text, size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}
std::string two_decimals(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f", value);
  return text;
}
std::string percent(double share) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.0f%%", 100 * share);
  return text;
}

nlohmann::json series_json(const std::vector<analyze::SliceLive>& series) {
  nlohmann::json low = nlohmann::json::array(), high = nlohmann::json::array(), end = nlohmann::json::array();
  for (const analyze::SliceLive& slice : series) {
    low.push_back(slice.low);
    high.push_back(slice.high);
    end.push_back(slice.end);
  }
  return {{"low", std::move(low)}, {"high", std::move(high)}, {"end", std::move(end)}};
}

}  // namespace

std::string human_rate(double bytes_per_second) {
  double magnitude = std::fabs(bytes_per_second);
  std::string text = human_bytes(static_cast<uint64_t>(std::llround(magnitude))) + "/s";
  return bytes_per_second <= -0.5 ? "-" + text : text;
}

std::string growth_basis_text(const analyze::GrowthAnalysis& analysis) {
  std::string text = std::to_string(analysis.slices) + " slices of " + human_duration(analysis.slice_seconds);
  if (analysis.attached_mid_run) {
    text +=
        "; attached mid-run: verdicts use growth within the recorded window (allocations from before the "
        "attach are unknown)";
  }
  return text;
}

const char* window_name(const analyze::GrowthAnalysis& analysis) {
  return analysis.attached_mid_run ? "recording" : "run";
}

std::string verdict_counts_text(const analyze::GrowthAnalysis& analysis) {
  std::string text;
  for (analyze::Verdict verdict :
       {analyze::Verdict::Leak, analyze::Verdict::ReleasedLate, analyze::Verdict::Sawtooth, analyze::Verdict::Plateau,
        analyze::Verdict::Stable, analyze::Verdict::NotEnoughData}) {
    size_t count = analysis.count(verdict);
    if (count == 0) continue;
    text += (text.empty() ? "" : ", ") + std::to_string(count) + " " + analyze::verdict_name(verdict);
  }
  return text.empty() ? "no call site held memory" : text;
}

void print_growth_table(std::ostream& out, const analyze::CaptureModel& model, const analyze::GrowthAnalysis& analysis,
                        size_t rows) {
  print_summary_lines(out, model);
  out << "slices     " << growth_basis_text(analysis) << '\n';
  out << "whole      " << analyze::verdict_name(analysis.total.verdict) << ": " << analysis.total.reason << '\n';
  out << "verdicts   " << verdict_counts_text(analysis) << "\n\n";
  if (analysis.sites.empty()) return;
  size_t shown = rows == 0 ? analysis.sites.size() : std::min(rows, analysis.sites.size());
  static const std::array<const char*, 7> kHeaders = {"verdict", "slope", "fit",     "rising",
                                                      "growth",  "peak",  "live end"};
  std::vector<std::array<std::string, 7>> cells;
  std::array<size_t, 7> widths{};
  for (size_t i = 0; i < kHeaders.size(); ++i) widths[i] = std::string(kHeaders[i]).size();
  for (size_t i = 0; i < shown; ++i) {
    const analyze::GrowthVerdict& verdict = analysis.sites[i].verdict;
    std::array<std::string, 7> row = {analyze::verdict_name(verdict.verdict),
                                      human_rate(verdict.slope),
                                      two_decimals(verdict.fit),
                                      percent(verdict.rising_share),
                                      human_bytes(verdict.growth),
                                      human_bytes(verdict.peak),
                                      human_bytes(analysis.sites[i].live_bytes)};
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
    cells.push_back(std::move(row));
  }
  out << shown << " of " << analysis.sites.size() << " call sites, most worrying first\n";
  out << pad_right(kHeaders[0], widths[0]);
  for (size_t c = 1; c < kHeaders.size(); ++c) out << "  " << pad_left(kHeaders[c], widths[c]);
  out << "  location\n";
  for (size_t i = 0; i < shown; ++i) {
    out << pad_right(cells[i][0], widths[0]);
    for (size_t c = 1; c < cells[i].size(); ++c) out << "  " << pad_left(cells[i][c], widths[c]);
    out << "  " << model.symbols.label(analysis.sites[i].location) << '\n';
    out << std::string(widths[0] + 2, ' ') << analysis.sites[i].verdict.reason << '\n';
  }
}

nlohmann::json verdict_json(const analyze::GrowthVerdict& verdict) {
  return {{"verdict", analyze::verdict_name(verdict.verdict)},
          {"slope_bytes_per_second", verdict.slope},
          {"fit", verdict.fit},
          {"rising_share", verdict.rising_share},
          {"growth_bytes", verdict.growth},
          {"peak_bytes", verdict.peak},
          {"reason", verdict.reason}};
}

nlohmann::json thresholds_json(const analyze::VerdictThresholds& t) {
  return {{"min_duration_seconds", t.min_duration_seconds},
          {"min_slices", t.min_slices},
          {"leak_min_slope", t.leak_min_slope},
          {"leak_min_fit", t.leak_min_fit},
          {"leak_min_rising_share", t.leak_min_rising_share},
          {"leak_min_late_growth", t.leak_min_late_growth},
          {"plateau_max_late_growth", t.plateau_max_late_growth},
          {"sawtooth_min_drop", t.sawtooth_min_drop},
          {"sawtooth_min_drops", t.sawtooth_min_drops},
          {"released_late_min_drop", t.released_late_min_drop},
          {"released_late_window", t.released_late_window},
          {"stable_max_growth", t.stable_max_growth}};
}

nlohmann::json site_growth_json(const analyze::CaptureModel& model, const analyze::SiteGrowth& site, bool with_series) {
  nlohmann::json row = location_json(model.symbols, site.location);
  row["live_bytes"] = site.live_bytes;
  row["stacks"] = site.stacks;
  row.update(verdict_json(site.verdict));
  if (with_series) row["series"] = series_json(site.series);
  return row;
}

nlohmann::json growth_json(const analyze::CaptureModel& model, const analyze::GrowthAnalysis& analysis, size_t rows) {
  size_t shown = rows == 0 ? analysis.sites.size() : std::min(rows, analysis.sites.size());
  nlohmann::json sites = nlohmann::json::array();
  for (size_t i = 0; i < shown; ++i) {
    nlohmann::json row = site_growth_json(model, analysis.sites[i], true);
    row["rank"] = i + 1;
    sites.push_back(std::move(row));
  }
  nlohmann::json counts = nlohmann::json::object();
  for (analyze::Verdict verdict :
       {analyze::Verdict::Leak, analyze::Verdict::ReleasedLate, analyze::Verdict::Sawtooth, analyze::Verdict::Plateau,
        analyze::Verdict::Stable, analyze::Verdict::NotEnoughData}) {
    counts[analyze::verdict_name(verdict)] = analysis.count(verdict);
  }
  nlohmann::json whole = verdict_json(analysis.total);
  whole["series"] = series_json(analysis.total_series);
  return {{"capture", capture_json(model)},
          {"heaps", heaps_json(model)},
          {"caveats", caveats(model)},
          {"slices", {{"count", analysis.slices}, {"seconds", analysis.slice_seconds}}},
          {"window", window_name(analysis)},
          {"thresholds", thresholds_json(analysis.thresholds)},
          {"whole", std::move(whole)},
          {"verdict_counts", std::move(counts)},
          {"sites_total", analysis.sites.size()},
          {"sites", std::move(sites)}};
}

}  // namespace leakspy::render
