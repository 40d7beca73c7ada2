#include "render/check_report.h"

#include "render/growth_report.h"
#include "render/report_json.h"
#include "render/report_summary.h"
#include "render/units.h"

namespace leakspy::render {

namespace {

constexpr int kCheckReportSchema = 1;
constexpr size_t kNotableSites = 20;  // non-leaking sites listed in the JSON (most worrying first)

}  // namespace

void print_check_summary(std::ostream& out, const analyze::CaptureModel& model, const analyze::GrowthAnalysis& analysis,
                         const analyze::GateResult& gate) {
  out << "leakspy check: " << command_text(model.header) << '\n';
  out << "recorded   " << recording_text(model) << '\n';
  out << "slices     " << growth_basis_text(analysis) << '\n';
  for (const std::string& caveat : caveats(model)) out << "WARNING    " << caveat << '\n';
  out << "verdicts   " << verdict_counts_text(analysis) << '\n';
  for (size_t index : gate.leaks) {
    const analyze::SiteGrowth& site = analysis.sites[index];
    out << "LEAK       " << model.symbols.label(site.location) << ": +" << human_rate(site.verdict.slope) << " (fit "
        << static_cast<int>(site.verdict.fit * 100 + 0.5) << "%), " << human_bytes(site.verdict.growth)
        << " over the recording\n";
  }
  switch (gate.status) {
    case analyze::GateStatus::Pass:
      out << "PASS       "
          << (gate.leaks.empty() ? std::string("no leak found")
                                 : "leaks grow " + human_rate(gate.leak_rate) + ", within --max-growth " +
                                       human_rate(gate.allowed_rate))
          << '\n';
      break;
    case analyze::GateStatus::Fail:
      out << "FAIL       leaks grow " << human_rate(gate.leak_rate)
          << " together (allowed: " << human_rate(gate.allowed_rate) << ")\n";
      break;
    case analyze::GateStatus::Inconclusive: out << "INCONCLUSIVE " << analysis.total.reason << '\n'; break;
  }
}

nlohmann::json check_json(const analyze::CaptureModel& model, const analyze::GrowthAnalysis& analysis,
                          const analyze::GateResult& gate) {
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
  return {{"schema", kCheckReportSchema},
          {"status", analyze::gate_status_name(gate.status)},
          {"leak_rate_bytes_per_second", gate.leak_rate},
          {"max_growth_bytes_per_second", gate.allowed_rate},
          {"capture", capture_json(model)},
          {"heaps", heaps_json(model)},
          {"window", window_name(analysis)},
          {"caveats", caveats(model)},
          {"slices", {{"count", analysis.slices}, {"seconds", analysis.slice_seconds}}},
          {"thresholds", thresholds_json(analysis.thresholds)},
          {"whole", verdict_json(analysis.total)},
          {"verdict_counts", std::move(counts)},
          {"leaks", std::move(leaks)},
          {"other_sites", std::move(others)}};
}

}  // namespace leakspy::render
