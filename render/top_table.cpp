#include <algorithm>
#include <array>
#include <string>

#include "render/report_summary.h"
#include "render/top_report.h"
#include "render/units.h"

namespace leakspy::render {

namespace {

std::string pad_left(const std::string& text, size_t width) {
  return text.size() >= width ? text : std::string(width - text.size(), ' ') + text;
}

}  // namespace

TopReport make_top_report(const analyze::CaptureModel& model, const TopOptions& options) {
  TopReport report;
  std::vector<analyze::CallSite> sites = analyze::call_sites(
      model, options.by, options.site,
      options.by_process ? analyze::SiteGrouping::ByProcess : analyze::SiteGrouping::AllProcesses);
  report.sites = sites.size();
  for (const analyze::CallSite& site : sites) {
    if (analyze::metric_value(site.totals, options.by) == 0) continue;
    ++report.sites_with_value;
    if (report.rows.size() < options.rows) report.rows.push_back(site);
  }
  return report;
}

void print_top_table(std::ostream& out, const analyze::CaptureModel& model, const TopReport& report,
                     const TopOptions& options) {
  print_summary_lines(out, model);
  out << '\n';

  const char* metric = analyze::metric_name(options.by);
  if (report.rows.empty()) {
    out << "no call site has "
        << (options.by == analyze::Metric::Count ? "allocations" : std::string(metric) + " bytes") << '\n';
    return;
  }
  auto bytes = [&](uint64_t value) { return options.exact_bytes ? std::to_string(value) : human_bytes(value); };
  std::vector<std::array<std::string, 4>> cells;
  std::array<size_t, 4> widths = {4, 4, 9, 5};  // the headers' own widths
  for (const analyze::CallSite& site : report.rows) {
    std::array<std::string, 4> row = {bytes(site.totals.live_bytes), bytes(site.totals.peak_bytes),
                                      bytes(site.totals.allocated_bytes), human_count(site.totals.allocations)};
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    cells.push_back(std::move(row));
  }
  out << "top " << report.rows.size() << " of " << report.sites_with_value << " call sites by " << metric
      << (options.by == analyze::Metric::Count ? "" : " bytes") << '\n';
  out << pad_left("live", widths[0]) << "  " << pad_left("peak", widths[1]) << "  " << pad_left("allocated", widths[2])
      << "  " << pad_left("count", widths[3]) << "  location\n";
  for (size_t row = 0; row < cells.size(); ++row) {
    for (size_t i = 0; i < 4; ++i) out << pad_left(cells[row][i], widths[i]) << "  ";
    out << model.symbols.label(report.rows[row].location);
    // The same line in several processes (workers, an exec chain's programs)
    // is one row, unless asked for a row per process.
    if (options.by_process && model.processes.size() > 1) {
      out << "  [pid " << report.rows[row].pid << "]";
    } else if (report.rows[row].processes() > 1) {
      out << "  [" << report.rows[row].processes() << " processes]";
    }
    out << '\n';
  }
  // "peak" is a moment's, not each site's own highest: say so where a row
  // shows less than its live bytes.
  bool peak_below_live = std::any_of(report.rows.begin(), report.rows.end(), [](const analyze::CallSite& site) {
    return site.totals.peak_bytes < site.totals.live_bytes;
  });
  if (peak_below_live) {
    out << "peak is what each site held when the heaps' total peaked (at " << human_duration(model.seconds(model.peak_time))
        << "); a site that grew after that holds more at the end\n";
  }
}

}  // namespace leakspy::render
