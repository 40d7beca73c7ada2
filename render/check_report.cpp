#include "render/check_report.h"

#include "common/listed_text.h"

#include "render/growth_report.h"
#include "render/memory_report.h"
#include "render/report_json.h"
#include "render/report_summary.h"
#include "render/units.h"

namespace leakspy::render {

namespace {

constexpr int kCheckReportSchema = 1;
constexpr size_t kNotableSites = 20;  // non-leaking sites listed in the JSON (most worrying first)

// "app.py:12: +1.2 MiB/min (fit 98%), 3.1 MiB over the recording"
std::string leak_text(const analyze::CaptureModel& model, const analyze::SiteGrowth& site) {
  return model.symbols.label(site.location) + ": +" + human_rate(site.verdict.slope) + " (fit " +
         std::to_string(static_cast<int>(site.verdict.fit * 100 + 0.5)) + "%), " + human_bytes(site.verdict.growth) +
         " over the recording";
}

// "3 checked alone: 1 with leaks (2439), 1 no leak (2427), 1 inconclusive (2440)"
std::string process_outcomes_text(const std::vector<ProcessCheck>& processes) {
  std::vector<std::string> leaking, clean, inconclusive;
  for (const ProcessCheck& process : processes) {
    std::string pid = std::to_string(process.pid);
    if (process.gate.status == analyze::GateStatus::Inconclusive) {
      inconclusive.push_back(pid);
    } else if (process.gate.leaks.empty()) {
      clean.push_back(pid);
    } else {
      leaking.push_back(pid);
    }
  }
  std::string outcomes;
  auto add = [&](const std::vector<std::string>& pids, const char* outcome) {
    if (pids.empty()) return;
    outcomes += (outcomes.empty() ? "" : ", ") + std::to_string(pids.size()) + " " + outcome + " (" + listed_text(pids) + ")";
  };
  add(leaking, "with leaks");
  add(clean, "no leak");
  add(inconclusive, "inconclusive");
  return std::to_string(processes.size()) + " checked alone: " + outcomes;
}

// What process `pid` ran last (an exec chain is one pid).
std::string process_program(const analyze::CaptureModel& model, uint32_t pid) {
  for (auto process = model.processes.rbegin(); process != model.processes.rend(); ++process) {
    if (process->pid == pid) return program_text(*process);
  }
  return "pid " + std::to_string(pid);
}

}  // namespace

analyze::GateStatus check_status(const analyze::GateResult& whole, const std::vector<ProcessCheck>& processes) {
  for (const ProcessCheck& process : processes) {
    if (process.gate.status == analyze::GateStatus::Fail) return analyze::GateStatus::Fail;
  }
  return whole.status;
}

void print_check_summary(std::ostream& out, const analyze::CaptureModel& model, const analyze::GrowthAnalysis& analysis,
                         const analyze::GateResult& gate, const std::vector<ProcessCheck>& processes) {
  out << "leakspy check: " << command_text(model.header) << '\n';
  out << "recorded   " << recording_text(model) << '\n';
  out << "slices     " << growth_basis_text(analysis) << '\n';
  if (std::optional<analyze::MemorySplit> memory = analyze::memory_at_end(model)) {
    out << "memory     at the end, " << memory_split_text(*memory) << '\n';
  }
  for (const std::string& caveat : caveats(model)) out << "WARNING    " << caveat << '\n';
  out << "verdicts   " << verdict_counts_text(analysis) << '\n';
  for (size_t index : gate.leaks) {
    out << "LEAK       " << leak_text(model, analysis.sites[index]) << '\n';
    for (const std::string& line : kept_by_lines(model, analysis.sites[index])) out << "           " << line << '\n';
  }
  const ProcessCheck* failing = nullptr;
  for (const ProcessCheck& process : processes) {
    for (size_t index : process.gate.leaks) {
      out << "LEAK       [pid " << process.pid << "] " << leak_text(*process.model, process.analysis->sites[index])
          << '\n';
    }
    if (failing == nullptr && process.gate.status == analyze::GateStatus::Fail) failing = &process;
  }
  if (!processes.empty()) out << "processes  " << process_outcomes_text(processes) << '\n';
  print_rss_lines(out, analysis.memory);
  switch (check_status(gate, processes)) {
    case analyze::GateStatus::Pass:
      out << "PASS       "
          << (gate.leaks.empty() ? std::string("no leak found")
                                 : "leaks grow " + human_rate(gate.leak_rate) + ", within --max-growth " +
                                       human_rate(gate.allowed_rate))
          << '\n';
      break;
    case analyze::GateStatus::Fail:
      if (gate.retention && (gate.leaks.empty() || gate.leak_rate <= gate.allowed_rate)) {
        out << "FAIL       RSS grows from allocator retention (--fail-on-retention)\n";
      } else if (gate.status == analyze::GateStatus::Fail) {
        out << "FAIL       leaks grow " << human_rate(gate.leak_rate) << " together (allowed: "
            << human_rate(gate.allowed_rate) << ")\n";
      } else {
        out << "FAIL       leaks grow " << human_rate(failing->gate.leak_rate) << " in process " << failing->pid
            << " (allowed: " << human_rate(gate.allowed_rate) << ")\n";
      }
      break;
    case analyze::GateStatus::Inconclusive: out << "INCONCLUSIVE " << analysis.total.reason << '\n'; break;
  }
}

nlohmann::json check_json(const analyze::CaptureModel& model, const analyze::GrowthAnalysis& analysis,
                          const analyze::GateResult& gate, const std::vector<ProcessCheck>& processes) {
  nlohmann::json leaks = nlohmann::json::array();
  for (size_t index : gate.leaks) leaks.push_back(site_growth_json(model, analysis.sites[index], false));
  nlohmann::json others = nlohmann::json::array();
  for (const analyze::SiteGrowth& site : analysis.sites) {
    if (others.size() == kNotableSites) break;
    if (site.verdict.verdict == analyze::Verdict::Leak || site.verdict.verdict == analyze::Verdict::Stable) continue;
    others.push_back(site_growth_json(model, site, false));
  }
  nlohmann::json counts = nlohmann::json::object();
  for (analyze::Verdict verdict :
       {analyze::Verdict::Leak, analyze::Verdict::ReleasedLate, analyze::Verdict::Sawtooth, analyze::Verdict::Plateau,
        analyze::Verdict::Stable, analyze::Verdict::NotEnoughData}) {
    counts[analyze::verdict_name(verdict)] = analysis.count(verdict);
  }
  nlohmann::json report = {{"schema", kCheckReportSchema},
          {"status", analyze::gate_status_name(check_status(gate, processes))},
          {"leak_rate_bytes_per_second", gate.leak_rate},
          {"max_growth_bytes_per_second", gate.allowed_rate},
          {"capture", capture_json(model)},
          {"heaps", heaps_json(model)},
          {"window", window_name(analysis)},
          {"caveats", caveats(model)},
          {"slices", {{"count", analysis.slices}, {"seconds", analysis.slice_seconds}}},
          {"thresholds", thresholds_json(analysis.thresholds)},
          {"whole", verdict_json(analysis.total)},
          {"memory", memory_json(analysis.memory)},
          {"retention_failed", gate.retention},
          {"verdict_counts", std::move(counts)},
          {"leaks", std::move(leaks)},
          {"other_sites", std::move(others)}};
  if (processes.empty()) return report;
  nlohmann::json checked = nlohmann::json::array();
  for (const ProcessCheck& process : processes) {
    nlohmann::json process_leaks = nlohmann::json::array();
    for (size_t index : process.gate.leaks) {
      process_leaks.push_back(site_growth_json(*process.model, process.analysis->sites[index], false));
    }
    checked.push_back({{"pid", process.pid},
                       {"program", process_program(*process.model, process.pid)},
                       {"status", analyze::gate_status_name(process.gate.status)},
                       {"leak_rate_bytes_per_second", process.gate.leak_rate},
                       {"leaks", std::move(process_leaks)}});
  }
  report["processes"] = std::move(checked);
  return report;
}

}  // namespace leakspy::render
