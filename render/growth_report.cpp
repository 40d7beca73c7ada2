#include "render/growth_report.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <vector>

#include "render/memory_report.h"
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

// A table: a header row, then rows; the first column left-aligned, the
// others right-aligned, and the last (a name) as it is, with each row's
// reason (lines) under it.
struct Table {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> reasons;
  void print(std::ostream& out) const {
    std::vector<size_t> widths(headers.size());
    for (size_t c = 0; c < headers.size(); ++c) widths[c] = headers[c].size();
    for (const auto& row : rows) {
      for (size_t c = 0; c + 1 < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
    }
    auto print_row = [&](const std::vector<std::string>& row) {
      out << pad_right(row[0], widths[0]);
      for (size_t c = 1; c + 1 < row.size(); ++c) out << "  " << pad_left(row[c], widths[c]);
      out << "  " << row.back() << '\n';
    };
    print_row(headers);
    for (size_t i = 0; i < rows.size(); ++i) {
      print_row(rows[i]);
      // A reason of several lines: each under the row.
      size_t begin = 0;
      while (begin <= reasons[i].size()) {
        size_t end = std::min(reasons[i].find('\n', begin), reasons[i].size());
        out << std::string(widths[0] + 2, ' ') << reasons[i].substr(begin, end - begin) << '\n';
        begin = end + 1;
      }
    }
  }
};

std::string objects_rate(double per_second) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f/s", per_second);
  return text;
}

}  // namespace

std::vector<std::string> kept_by_lines(const analyze::CaptureModel& model, const analyze::SiteGrowth& site) {
  std::vector<std::string> lines;
  for (const analyze::SiteKeptBy& kept : site.kept_by) {
    std::string line = "kept by " + kept.chain;
    // A site without a source line (an address, or the interpreter's own
    // code before Python frames were on) says nothing worth a word here.
    auto named = [&](analyze::LocationId at) {
      return at != analyze::SymbolTable::kNoStack && model.symbols.location(at).line != 0;
    };
    std::string holder;
    if (named(kept.holder)) holder += "made at " + model.symbols.label(kept.holder);
    if (named(kept.grown_at)) {
      holder += (holder.empty() ? "" : ", ") + std::string("grown at ") + model.symbols.label(kept.grown_at);
    }
    if (!holder.empty()) line += "; its holder " + holder;
    lines.push_back(std::move(line));
  }
  return lines;
}

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

void print_growth_summary(std::ostream& out, const analyze::CaptureModel& model,
                          const analyze::GrowthAnalysis& analysis) {
  print_summary_lines(out, model);
  out << "slices     " << growth_basis_text(analysis) << '\n';
  out << "whole      " << analyze::verdict_name(analysis.total.verdict) << ": " << analysis.total.reason << '\n';
  out << "verdicts   " << verdict_counts_text(analysis) << '\n';
  print_rss_lines(out, analysis.memory);
  out << '\n';
}

void print_growth_table(std::ostream& out, const analyze::CaptureModel& model, const analyze::GrowthAnalysis& analysis,
                        size_t rows) {
  print_growth_summary(out, model, analysis);
  if (analysis.sites.empty()) return;
  size_t shown = rows == 0 ? analysis.sites.size() : std::min(rows, analysis.sites.size());
  Table table{{"verdict", "slope", "fit", "rising", "growth", "peak", "live end", "location"}, {}, {}};
  for (size_t i = 0; i < shown; ++i) {
    const analyze::GrowthVerdict& verdict = analysis.sites[i].verdict;
    table.rows.push_back({analyze::verdict_name(verdict.verdict), human_rate(verdict.slope), two_decimals(verdict.fit),
                          percent(verdict.rising_share), human_bytes(verdict.growth), human_bytes(verdict.peak),
                          human_bytes(analysis.sites[i].live_bytes), model.symbols.label(analysis.sites[i].location)});
    std::string reason = verdict.reason;
    for (const std::string& line : kept_by_lines(model, analysis.sites[i])) reason += "\n" + line;
    table.reasons.push_back(std::move(reason));
  }
  out << shown << " of " << analysis.sites.size() << " call sites, most worrying first\n";
  table.print(out);
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
  if (!site.kept_by.empty()) {
    nlohmann::json chains = nlohmann::json::array();
    for (const analyze::SiteKeptBy& kept : site.kept_by) {
      nlohmann::json entry = {{"chain", kept.chain}};
      if (kept.holder != analyze::SymbolTable::kNoStack) entry["holder"] = location_json(model.symbols, kept.holder);
      if (kept.grown_at != analyze::SymbolTable::kNoStack) {
        entry["grown_at"] = location_json(model.symbols, kept.grown_at);
      }
      chains.push_back(std::move(entry));
    }
    row["kept_by"] = std::move(chains);
  }
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
          {"memory", memory_json(analysis.memory)},
          {"verdict_counts", std::move(counts)},
          {"sites_total", analysis.sites.size()},
          {"sites", std::move(sites)}};
}

void print_type_growth_table(std::ostream& out, const analyze::TypeGrowthAnalysis& types, size_t rows) {
  if (types.censuses == 0) {
    out << "No census of Python types in this capture: leakspy counts a Python program's objects by type about "
           "every second, and stops when a census holds the GIL over 10 ms (record with --types to keep "
           "counting).\n";
    return;
  }
  size_t shown = rows == 0 ? types.types.size() : std::min(rows, types.types.size());
  Table table{{"verdict", "slope", "fit", "rising", "growth", "peak", "at end", "type"}, {}, {}};
  for (size_t i = 0; i < shown; ++i) {
    const analyze::TypeGrowth& type = types.types[i];
    const analyze::GrowthVerdict& verdict = type.verdict;
    table.rows.push_back({analyze::verdict_name(verdict.verdict), objects_rate(verdict.slope), two_decimals(verdict.fit),
                          percent(verdict.rising_share), human_count(verdict.growth), human_count(verdict.peak),
                          human_count(type.count_at_end), type.name});
    table.reasons.push_back(verdict.reason);
  }
  out << shown << " of " << types.types.size() << " Python types (live objects, from " << types.censuses
      << " censuses), most worrying first\n";
  table.print(out);
}

nlohmann::json type_growth_json(const analyze::TypeGrowthAnalysis& types, size_t rows) {
  size_t shown = rows == 0 ? types.types.size() : std::min(rows, types.types.size());
  nlohmann::json list = nlohmann::json::array();
  for (size_t i = 0; i < shown; ++i) {
    const analyze::TypeGrowth& type = types.types[i];
    const analyze::GrowthVerdict& verdict = type.verdict;
    nlohmann::json row = {{"rank", i + 1},
                          {"name", type.name},
                          {"objects_at_end", type.count_at_end},
                          {"verdict", analyze::verdict_name(verdict.verdict)},
                          {"slope_objects_per_second", verdict.slope},
                          {"fit", verdict.fit},
                          {"rising_share", verdict.rising_share},
                          {"growth_objects", verdict.growth},
                          {"peak_objects", verdict.peak},
                          {"reason", verdict.reason},
                          {"series", series_json(type.series)}};
    list.push_back(std::move(row));
  }
  return {{"censuses", types.censuses},
          {"types_total", types.types.size()},
          {"types", std::move(list)}};
}

}  // namespace leakspy::render
