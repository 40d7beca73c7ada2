#include "analyze/leak_gate.h"

namespace leakspy::analyze {

const char* gate_status_name(GateStatus status) {
  switch (status) {
    case GateStatus::Pass: return "pass";
    case GateStatus::Fail: return "fail";
    case GateStatus::Inconclusive: return "inconclusive";
  }
  return "unknown";
}

GateResult apply_leak_gate(const GrowthAnalysis& analysis, double allowed_rate, bool fail_on_retention) {
  GateResult result;
  result.allowed_rate = allowed_rate;
  for (size_t i = 0; i < analysis.sites.size(); ++i) {
    if (analysis.sites[i].verdict.verdict != Verdict::Leak) continue;
    result.leaks.push_back(i);
    result.leak_rate += analysis.sites[i].verdict.slope;
  }
  if (analysis.total.verdict == Verdict::NotEnoughData) {
    result.status = GateStatus::Inconclusive;
  } else if (!result.leaks.empty() && result.leak_rate > allowed_rate) {
    result.status = GateStatus::Fail;
  }
  if (fail_on_retention && analysis.memory.cause == RssCause::AllocatorRetention) {
    result.retention = true;
    result.status = GateStatus::Fail;
  }
  return result;
}

}  // namespace leakspy::analyze
