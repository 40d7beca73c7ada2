#include "render/diff_report.h"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "render/report_json.h"
#include "render/report_summary.h"
#include "render/units.h"

namespace leakspy::render {

namespace {

std::string pad_left(const std::string& text, size_t width) {
  return text.size() >= width ? text : std::string(width - text.size(), ' ') + text;
}

std::string signed_text(analyze::Metric metric, int64_t delta) {
  if (delta == 0) return "0";
  uint64_t magnitude = delta < 0 ? static_cast<uint64_t>(-delta) : static_cast<uint64_t>(delta);
  std::string text = analyze::metric_is_bytes(metric) ? human_bytes(magnitude) : human_count(magnitude);
  return (delta < 0 ? "-" : "+") + text;
}

std::string value_text(analyze::Metric metric, uint64_t value) {
  return analyze::metric_is_bytes(metric) ? human_bytes(value) : human_count(value);
}

// The label of a site: from the capture that has it (the second first).
std::string site_label(const analyze::CaptureModel& before, const analyze::CaptureModel& after,
                       const analyze::SiteDiff& site) {
  return site.after_site ? after.symbols.label(*site.after_site) : before.symbols.label(*site.before_site);
}

size_t changed_sites(const analyze::CaptureDiff& diff) {
  return static_cast<size_t>(std::count_if(diff.sites.begin(), diff.sites.end(), [&](const analyze::SiteDiff& site) {
    return site.delta(diff.metric) != 0;
  }));
}

}  // namespace

void print_diff_table(std::ostream& out, const analyze::CaptureModel& before, const analyze::CaptureModel& after,
                      const analyze::CaptureDiff& diff, size_t rows) {
  out << "before     " << command_text(before.header) << " (" << recording_text(before) << ")\n";
  out << "after      " << command_text(after.header) << " (" << recording_text(after) << ")\n";
  for (const std::string& caveat : caveats(before)) out << "WARNING    before: " << caveat << '\n';
  for (const std::string& caveat : caveats(after)) out << "WARNING    after: " << caveat << '\n';
  const analyze::Metric metric = diff.metric;
  uint64_t total_before = analyze::metric_value(diff.before_totals, metric);
  uint64_t total_after = analyze::metric_value(diff.after_totals, metric);
  out << "total      " << analyze::metric_name(metric) << ' ' << value_text(metric, total_before) << " -> "
      << value_text(metric, total_after) << " ("
      << signed_text(metric, static_cast<int64_t>(total_after) - static_cast<int64_t>(total_before)) << ")\n";
  out << "matching   sites by function name (native) and by function, file and line (Python), never by address\n\n";
  size_t changed = changed_sites(diff);
  if (changed == 0) {
    out << "no call site's " << analyze::metric_name(metric) << " changed\n";
    return;
  }
  size_t shown = rows == 0 ? changed : std::min(rows, changed);
  std::vector<std::array<std::string, 3>> cells;
  std::array<size_t, 3> widths = {6, 5, 6};
  for (size_t i = 0; i < shown; ++i) {
    const analyze::SiteDiff& site = diff.sites[i];
    std::array<std::string, 3> row = {value_text(metric, analyze::metric_value(site.before, metric)),
                                      value_text(metric, analyze::metric_value(site.after, metric)),
                                      signed_text(metric, site.delta(metric))};
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
    cells.push_back(std::move(row));
  }
  out << shown << " of " << changed << " call sites whose " << analyze::metric_name(metric)
      << " changed, largest change first\n";
  out << pad_left("before", widths[0]) << "  " << pad_left("after", widths[1]) << "  " << pad_left("change", widths[2])
      << "  location\n";
  for (size_t i = 0; i < shown; ++i) {
    const analyze::SiteDiff& site = diff.sites[i];
    for (size_t c = 0; c < 3; ++c) out << pad_left(cells[i][c], widths[c]) << "  ";
    out << site_label(before, after, site);
    if (!site.before_site) out << "  [new]";
    if (!site.after_site) out << "  [gone]";
    out << '\n';
  }
}

nlohmann::json diff_json(const analyze::CaptureModel& before, const analyze::CaptureModel& after,
                         const analyze::CaptureDiff& diff, size_t rows) {
  const analyze::Metric metric = diff.metric;
  size_t changed = changed_sites(diff);
  size_t shown = rows == 0 ? changed : std::min(rows, changed);
  nlohmann::json sites = nlohmann::json::array();
  for (size_t i = 0; i < shown; ++i) {
    const analyze::SiteDiff& site = diff.sites[i];
    nlohmann::json row = site.after_site ? location_json(after.symbols, *site.after_site)
                                         : location_json(before.symbols, *site.before_site);
    row["match_key"] = site.key;
    row["in_before"] = site.before_site.has_value();
    row["in_after"] = site.after_site.has_value();
    row["before"] = totals_json(site.before);
    row["after"] = totals_json(site.after);
    row["change"] = site.delta(metric);
    sites.push_back(std::move(row));
  }
  return {
      {"metric", analyze::metric_name(metric)},
      {"before",
       {{"capture", capture_json(before)}, {"totals", totals_json(diff.before_totals)}, {"caveats", caveats(before)}}},
      {"after",
       {{"capture", capture_json(after)}, {"totals", totals_json(diff.after_totals)}, {"caveats", caveats(after)}}},
      {"change", static_cast<int64_t>(analyze::metric_value(diff.after_totals, metric)) -
                     static_cast<int64_t>(analyze::metric_value(diff.before_totals, metric))},
      {"changed_sites", changed},
      {"sites", std::move(sites)}};
}

}  // namespace leakspy::render
