#include "render/memory_report.h"
#include "render/report_json.h"

#include "analyze/site_frames.h"

namespace leakspy::render {

namespace {

const char* kind_name(analyze::LocationKind kind) {
  switch (kind) {
    case analyze::LocationKind::Native: return "native";
    case analyze::LocationKind::Python: return "python";
    case analyze::LocationKind::Unresolved: return "unresolved";
    case analyze::LocationKind::NoStack: return "no-stack";
  }
  return "?";
}

}  // namespace

nlohmann::json capture_json(const analyze::CaptureModel& model) {
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
  nlohmann::json processes = nlohmann::json::array();
  for (const analyze::ProcessInfo& process : model.processes) {
    nlohmann::json entry = {{"pid", process.pid},
                            {"origin", capture::process_origin_name(process.origin)},
                            {"executable", process.executable},
                            {"command", process.command_line},
                            {"start_seconds", model.seconds(process.start_time)}};
    if (process.parent != 0) entry["parent"] = process.parent - 1;
    if (process.end) {
      entry["end"] = capture::process_end_name(process.end->how);
      entry["end_seconds"] = model.seconds(process.end_time);
    }
    processes.push_back(std::move(entry));
  }
  capture["processes"] = std::move(processes);
  if (std::optional<analyze::MemorySplit> memory = analyze::memory_at_end(model)) {
    capture["memory_at_end"] = memory_split_json(*memory);
  }
  capture["allocator_wrappers"] = analyze::SiteFrames(model, {}).wrappers();
  if (model.exit) {
    capture["exit"] = {{"seconds", model.seconds(model.exit->time)},
                       {"cause", capture::exit_cause_name(model.exit->cause)},
                       {"teardown_events", model.exit->teardown_events}};
  }
  return capture;
}

nlohmann::json heaps_json(const analyze::CaptureModel& model) {
  nlohmann::json gpu = nlohmann::json::array();
  for (const analyze::GpuHeapLevel& level : model.gpu_levels) {
    gpu.push_back({{"heap", level.heap},
                   {"level", std::string(level.level)},
                   {"live_bytes", level.live_bytes},
                   {"peak_bytes", level.peak_bytes}});
  }
  return {{"selection", model.heaps.text()}, {"counted", model.counted_heaps}, {"gpu", std::move(gpu)}};
}

nlohmann::json location_json(const analyze::SymbolTable& symbols, analyze::LocationId id) {
  const analyze::Location& location = symbols.location(id);
  return {{"location", symbols.label(id)}, {"kind", kind_name(location.kind)},
          {"function", location.function}, {"file", location.file},
          {"line", location.line},         {"module", location.module}};
}

nlohmann::json totals_json(const analyze::StackTotals& totals) {
  return {{"live_bytes", totals.live_bytes},
          {"peak_bytes", totals.peak_bytes},
          {"allocated_bytes", totals.allocated_bytes},
          {"allocations", totals.allocations}};
}

}  // namespace leakspy::render
