#include "render/report_json.h"
#include "render/report_summary.h"
#include "render/top_report.h"

namespace leakspy::render {

nlohmann::json top_json(const analyze::CaptureModel& model, const TopReport& report, const TopOptions& options) {
  nlohmann::json capture = capture_json(model);

  nlohmann::json totals = totals_json(model.totals);
  totals["peak_seconds"] = model.seconds(model.peak_time);
  totals["events"] = model.events;
  totals["counted_events"] = model.counted_events;
  totals["dropped_events"] = model.dropped_events;
  totals["unknown_frees"] = model.unknown_frees;
  totals["implicit_frees"] = model.implicit_frees;

  nlohmann::json sites = nlohmann::json::array();
  for (size_t i = 0; i < report.rows.size(); ++i) {
    const analyze::CallSite& site = report.rows[i];
    nlohmann::json row = totals_json(site.totals);
    row["rank"] = i + 1;
    row.update(location_json(model.symbols, site.location));
    row["stacks"] = site.stacks;
    row["processes"] = site.processes();
    row["pids"] = site.pids;
    if (options.by_process) row["pid"] = site.pid;
    sites.push_back(std::move(row));
  }
  return {
      {"capture", std::move(capture)},
      {"heaps", heaps_json(model)},
      {"totals", std::move(totals)},
      {"caveats", caveats(model)},
      {"sort", analyze::metric_name(options.by)},
      {"sites_with_value", report.sites_with_value},
      {"sites", std::move(sites)},
  };
}

}  // namespace leakspy::render
