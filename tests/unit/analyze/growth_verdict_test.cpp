// Verdicts on synthetic series shaped like the patterns of issue 6.
#include "analyze/growth_verdict.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace leakspy::analyze {
namespace {

constexpr double kDuration = 60;  // seconds
constexpr int kSlices = 30;

// A series from a function of time (seconds) plus in-flight churn: bytes of
// short-lived allocations alive at a moment, uniform in [0, churn). A capture
// sees the live bytes at every event; 200 samples a slice stand for that.
template <typename Live>
std::vector<SliceLive> series(Live live, double churn = 0, uint32_t seed = 1) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<double> jitter(0, churn);
  std::vector<SliceLive> slices;
  double step = kDuration / kSlices;
  for (int i = 0; i < kSlices; ++i) {
    double low = 1e300, high = 0, end = 0;
    for (int k = 0; k <= 200; ++k) {
      double value = live(i * step + step * k / 200.0) + jitter(random);
      low = std::min(low, value);
      high = std::max(high, value);
      end = value;
    }
    slices.push_back({static_cast<uint64_t>(low), static_cast<uint64_t>(high), static_cast<uint64_t>(end)});
  }
  return slices;
}

TEST(GrowthVerdict, SteadyGrowthIsALeakWithItsSlope) {
  GrowthVerdict verdict = classify_growth(series([](double t) { return 1e6 + 50'000 * t; }), kDuration);
  EXPECT_EQ(verdict.verdict, Verdict::Leak) << verdict.reason;
  EXPECT_NEAR(verdict.slope, 50'000, 5'000);
  EXPECT_GT(verdict.fit, 0.99);
}

TEST(GrowthVerdict, ASlowLeakUnderHeavyChurnIsStillALeak) {
  // 1 KiB/s of leak under 10 MB/s of allocations that live 5 ms: 50 KB in flight.
  GrowthVerdict verdict =
      classify_growth(series([](double t) { return 5e6 + 1100 * t; }, 10e6 * 0.005, 7), kDuration);
  EXPECT_EQ(verdict.verdict, Verdict::Leak) << verdict.reason;
}

TEST(GrowthVerdict, ALeakSeenOnlyEveryFewSlicesIsStillALeak) {
  // Growth known at coarse times: a site allocating every 10 s (6 slices),
  // or cuda:N/torch, read once a second. Most steps are flat; none falls.
  GrowthVerdict verdict =
      classify_growth(series([](double t) { return 1e6 + 500'000 * std::floor(t / 10); }), kDuration);
  EXPECT_EQ(verdict.verdict, Verdict::Leak) << verdict.reason;
  EXPECT_DOUBLE_EQ(verdict.rising_share, 1.0);
}

TEST(GrowthVerdict, ABoundedCacheThatFilledUpIsAPlateau) {
  GrowthVerdict verdict =
      classify_growth(series([](double t) { return 8e6 * (1 - std::exp(-t / 6)); }), kDuration);
  EXPECT_EQ(verdict.verdict, Verdict::Plateau) << verdict.reason;
}

TEST(GrowthVerdict, BatchesReturningToAFloorAreASawtooth) {
  // Each 7 s batch builds up 40 MB, then frees it.
  GrowthVerdict verdict =
      classify_growth(series([](double t) { return 2e6 + 40e6 * std::fmod(t, 7.0) / 7.0; }), kDuration);
  EXPECT_EQ(verdict.verdict, Verdict::Sawtooth) << verdict.reason;
}

TEST(GrowthVerdict, MemoryFreedInBulkAtTheEndIsReleasedLate) {
  GrowthVerdict verdict =
      classify_growth(series([](double t) { return t < 52 ? std::min(t, 20.0) * 1e6 : 1e5; }), kDuration);
  EXPECT_EQ(verdict.verdict, Verdict::ReleasedLate) << verdict.reason;
}

TEST(GrowthVerdict, AnArenaThatGrewOnceIsNotALeak) {
  // Grows in steps during warm-up, then is reused.
  GrowthVerdict verdict = classify_growth(
      series([](double t) { return t < 3 ? 4e6 : t < 6 ? 16e6 : 64e6; }, 1e5), kDuration);
  EXPECT_EQ(verdict.verdict, Verdict::Plateau) << verdict.reason;
}

TEST(GrowthVerdict, NoiseAroundAConstantIsStable) {
  GrowthVerdict verdict = classify_growth(series([](double) { return 3e6; }, 2e4, 3), kDuration);
  EXPECT_EQ(verdict.verdict, Verdict::Stable) << verdict.reason;
}

TEST(GrowthVerdict, ASlowLeakOfOneKilobyteASecondIsALeakByDefault) {
  GrowthVerdict verdict = classify_growth(series([](double t) { return 2e6 + 1000 * t; }, 500, 5), kDuration);
  EXPECT_EQ(verdict.verdict, Verdict::Leak) << verdict.reason;
  EXPECT_NEAR(verdict.slope, 1000, 50);
}

TEST(GrowthVerdict, BatchesThatEndLowAreStillASawtooth) {
  // The recording ends just after a batch was freed: low at the end, like
  // memory released late, but it fell the same way many times before.
  GrowthVerdict verdict = classify_growth(
      series([](double t) { return std::fmod(t, 6.0) < 5.5 ? 30e6 * std::fmod(t, 6.0) / 5.5 : 0.0; }), kDuration);
  EXPECT_EQ(verdict.verdict, Verdict::Sawtooth) << verdict.reason;
}

TEST(GrowthVerdict, ABatchPatternWhoseTroughsRiseIsNotASawtooth) {
  // Each batch frees its working set but keeps 1 MB: the troughs climb.
  GrowthVerdict verdict = classify_growth(
      series([](double t) { return 1e6 * std::floor(t / 6.0) + 20e6 * std::fmod(t, 6.0) / 6.0; }), kDuration);
  EXPECT_NE(verdict.verdict, Verdict::Sawtooth) << verdict.reason;
}

TEST(GrowthVerdict, AShortRecordingSaysHowLongToRecord) {
  std::vector<SliceLive> few = series([](double t) { return 1e6 + 5e5 * t; });
  GrowthVerdict verdict = classify_growth(few, 4.0);
  EXPECT_EQ(verdict.verdict, Verdict::NotEnoughData);
  EXPECT_NE(verdict.reason.find("record longer"), std::string::npos);
  EXPECT_NE(verdict.reason.find("10 s"), std::string::npos);
}

TEST(GrowthVerdict, ThresholdsCanBeOverridden) {
  std::vector<SliceLive> slow = series([](double t) { return 1e6 + 100 * t; });
  EXPECT_NE(classify_growth(slow, kDuration).verdict, Verdict::Leak);
  VerdictThresholds sensitive;
  sensitive.leak_min_slope = 50;
  EXPECT_EQ(classify_growth(slow, kDuration, sensitive).verdict, Verdict::Leak);
}

}  // namespace
}  // namespace leakspy::analyze
