// Growth per call site on synthetic captures: each site's series and
// verdict, the whole's, attached captures, and the CI gate.
#include "analyze/site_growth.h"

#include "analyze/leak_gate.h"
#include "common/error.h"
#include "tests/unit/analyze/trend_model_fixture.h"

namespace leakspy::analyze {
namespace {

const SiteGrowth& site_named(const CaptureModel& model, const GrowthAnalysis& analysis, const std::string& function) {
  for (const SiteGrowth& site : analysis.sites) {
    if (model.symbols.location(site.location).function == function) return site;
  }
  ADD_FAILURE() << "no site " << function;
  return analysis.sites.front();
}

// 20 s: `remember` keeps 1000 bytes a second (100 every 0.1 s), `scratch`
// makes 60 KB blocks that live 50 ms, `warm_cache` fills 2 MiB in the first
// 2 s and keeps it.
void write_service(const std::string& file, bool attached) {
  test::ServiceTrend trend;
  trend.churn = true;
  trend.frees_from_before = attached;
  test::write_service_trend(file, {attached, 0x555500000000}, trend);
}

TEST_F(TrendModelTest, EachSiteGetsItsOwnVerdict) {
  write_service(path("service.lspy"), false);
  CaptureModel model = read(path("service.lspy"));
  GrowthAnalysis analysis = analyze_growth(model, {});
  EXPECT_EQ(analysis.slices, 30u);
  EXPECT_NEAR(analysis.covered_seconds, 20.0, 20.0 / 30 / 8);
  EXPECT_FALSE(analysis.attached_mid_run);
  ASSERT_EQ(analysis.sites.size(), 3u);

  const SiteGrowth& leaky = site_named(model, analysis, "remember");
  EXPECT_EQ(leaky.verdict.verdict, Verdict::Leak) << leaky.verdict.reason;
  EXPECT_NEAR(leaky.verdict.slope, 1000, 30);
  EXPECT_EQ(leaky.live_bytes, 20'000u);
  EXPECT_EQ(&leaky, &analysis.sites.front()) << "leaks come first";

  const SiteGrowth& churn = site_named(model, analysis, "scratch");
  EXPECT_EQ(churn.verdict.verdict, Verdict::Stable) << churn.verdict.reason;
  EXPECT_EQ(churn.verdict.peak, 60'000u);

  const SiteGrowth& cache = site_named(model, analysis, "warm_cache");
  EXPECT_EQ(cache.verdict.verdict, Verdict::Plateau) << cache.verdict.reason;
  EXPECT_EQ(cache.series.back().end, 200u * 10'486);

  // The whole: the leak and the cache together; the series' end is the live total.
  EXPECT_EQ(analysis.total_series.back().end, model.totals.live_bytes);
  EXPECT_EQ(analysis.count(Verdict::Leak), 1u);
}

TEST_F(TrendModelTest, AttachedCapturesJudgeGrowthWithinTheWindow) {
  write_service(path("attached.lspy"), true);
  CaptureModel model = read(path("attached.lspy"));
  EXPECT_EQ(model.unknown_frees, 20u);
  GrowthAnalysis analysis = analyze_growth(model, {});
  EXPECT_TRUE(analysis.attached_mid_run);
  // Frees of blocks from before the attach change nothing: same verdicts.
  EXPECT_EQ(site_named(model, analysis, "remember").verdict.verdict, Verdict::Leak);
  EXPECT_EQ(site_named(model, analysis, "warm_cache").verdict.verdict, Verdict::Plateau);
}

TEST_F(TrendModelTest, ShortRecordingsHaveNotEnoughDataAndThresholdsCanBeLowered) {
  test::TrendCapture capture(path("short.lspy"), {});
  uint32_t leaky = capture.stack("remember", 10);
  for (int step = 0; step < 40; ++step) capture.alloc(step * 0.1, leaky, 1000);
  capture.finish(4.0);
  CaptureModel model = read(path("short.lspy"));
  GrowthAnalysis analysis = analyze_growth(model, {});
  EXPECT_EQ(analysis.sites.front().verdict.verdict, Verdict::NotEnoughData);
  EXPECT_NE(analysis.sites.front().verdict.reason.find("record longer"), std::string::npos);
  GateResult gate = apply_leak_gate(analysis, 0);
  EXPECT_EQ(gate.status, GateStatus::Inconclusive);

  VerdictThresholds shorter;
  shorter.min_duration_seconds = 2;
  GrowthAnalysis lowered = analyze_growth(model, shorter);
  EXPECT_EQ(lowered.sites.front().verdict.verdict, Verdict::Leak);
  EXPECT_NEAR(lowered.sites.front().verdict.slope, 10'000, 500);
}

TEST_F(TrendModelTest, TheGateFailsOnLeaksFasterThanAllowed) {
  write_service(path("service.lspy"), false);
  CaptureModel model = read(path("service.lspy"));
  GrowthAnalysis analysis = analyze_growth(model, {});
  GateResult strict = apply_leak_gate(analysis, 0);
  EXPECT_EQ(strict.status, GateStatus::Fail);
  ASSERT_EQ(strict.leaks.size(), 1u);
  EXPECT_EQ(model.symbols.location(analysis.sites[strict.leaks[0]].location).function, "remember");
  EXPECT_NEAR(strict.leak_rate, 1000, 30);
  EXPECT_EQ(apply_leak_gate(analysis, 2000).status, GateStatus::Pass);
  EXPECT_EQ(apply_leak_gate(analysis, 500).status, GateStatus::Fail);
}

TEST_F(TrendModelTest, GrowthNeedsASlicedModel) {
  write_service(path("service.lspy"), false);
  CaptureModel model = read(path("service.lspy"), SlicePlan{});
  EXPECT_FALSE(model.slices.has_value());
  EXPECT_THROW(analyze_growth(model, {}), Error);
}

}  // namespace
}  // namespace leakspy::analyze
