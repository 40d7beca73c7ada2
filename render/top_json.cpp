#include "render/report_summary.h"
#include "render/top_report.h"

namespace leakspy::render {

namespace {

const char* kind_name(analyze::LocationKind kind) {
  switch (kind) {
    case analyze::LocationKind::Native:
      return "native";
    case analyze::LocationKind::Python:
      return "python";
    case analyze::LocationKind::Unresolved:
      return "unresolved";
    case analyze::LocationKind::NoStack:
      return "no-stack";
  }
  return "?";
}

nlohmann::json totals_json(const analyze::StackTotals& totals) {
  return {{"live_bytes", totals.live_bytes},
          {"peak_bytes", totals.peak_bytes},
          {"allocated_bytes", totals.allocated_bytes},
          {"allocations", totals.allocations}};
}

}  // namespace

nlohmann::json top_json(const analyze::CaptureModel& model, const TopReport& report, const TopOptions& options) {
  const capture::CaptureHeader& header = model.header;
  nlohmann::json capture = {
      {"command", header.command_line},
      {"executable", header.executable},
      {"pid", header.pid},
      {"hostname", header.hostname},
      {"start_unix_ns", header.start_unix_ns},
      {"duration_seconds", model.duration_seconds()},
      {"attached_mid_run", header.attached_mid_run()},
      {"truncated", model.read.truncated},
      {"target_end", model.trailer ? capture::target_end_name(model.trailer->target_end) : "unknown"},
      {"exit_status", model.trailer ? model.trailer->exit_status : 0},
  };
  if (model.read.truncated) capture["truncation"] = model.read.truncation;

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
    const analyze::Location& location = model.symbols.location(site.location);
    nlohmann::json row = totals_json(site.totals);
    row["rank"] = i + 1;
    row["location"] = model.symbols.label(site.location);
    row["kind"] = kind_name(location.kind);
    row["function"] = location.function;
    row["file"] = location.file;
    row["line"] = location.line;
    row["module"] = location.module;
    row["stacks"] = site.stacks;
    sites.push_back(std::move(row));
  }
  return {
      {"capture", std::move(capture)},
      {"heaps", {{"selection", model.heaps.text()}, {"counted", model.counted_heaps}}},
      {"totals", std::move(totals)},
      {"caveats", caveats(model)},
      {"sort", analyze::metric_name(options.by)},
      {"sites_with_value", report.sites_with_value},
      {"sites", std::move(sites)},
  };
}

}  // namespace leakspy::render
