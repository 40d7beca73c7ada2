#include "analyze/growth_verdict.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>

namespace leakspy::analyze {

namespace {

struct LinearFit {
  double slope = 0;  // per second
  double fit = 0;    // R²
};

// Least squares of y over the slice centres.
LinearFit fit_line(const std::vector<double>& y, double slice_seconds) {
  size_t n = y.size();
  double mean_x = 0, mean_y = 0;
  for (size_t i = 0; i < n; ++i) {
    mean_x += (static_cast<double>(i) + 0.5) * slice_seconds;
    mean_y += y[i];
  }
  mean_x /= static_cast<double>(n);
  mean_y /= static_cast<double>(n);
  double sxx = 0, sxy = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    double dx = (static_cast<double>(i) + 0.5) * slice_seconds - mean_x;
    double dy = y[i] - mean_y;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  LinearFit result;
  if (sxx == 0) return result;
  result.slope = sxy / sxx;
  result.fit = syy == 0 ? 1.0 : (sxy * sxy) / (sxx * syy);
  return result;
}

__attribute__((format(printf, 1, 2))) std::string format(const char* text, ...) {
  char buffer[256];
  va_list arguments;
  va_start(arguments, text);
  std::vsnprintf(buffer, sizeof(buffer), text, arguments);
  va_end(arguments);
  return buffer;
}

}  // namespace

const char* verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::NotEnoughData: return "not enough data";
    case Verdict::Leak: return "leak";
    case Verdict::Plateau: return "plateau";
    case Verdict::Sawtooth: return "sawtooth";
    case Verdict::ReleasedLate: return "released late";
    case Verdict::Stable: return "stable";
  }
  return "unknown";
}

GrowthVerdict classify_growth(const std::vector<SliceLive>& slices, double duration_seconds,
                              const VerdictThresholds& t) {
  GrowthVerdict result;
  size_t n = slices.size();
  for (const SliceLive& slice : slices) result.peak = std::max(result.peak, slice.high);
  if (duration_seconds < t.min_duration_seconds || n < t.min_slices) {
    result.reason = format("the recording lasted %.1f s; verdicts need at least %.0f s: record longer",
                           duration_seconds, t.min_duration_seconds);
    return result;
  }
  double slice_seconds = duration_seconds / static_cast<double>(n);
  std::vector<double> floor(n);
  for (size_t i = 0; i < n; ++i) floor[i] = static_cast<double>(slices[i].low);
  LinearFit line = fit_line(floor, slice_seconds);
  result.slope = line.slope;
  result.fit = line.fit;
  // Of the steps where the floor moved: a site that allocates less often
  // than once a slice, or a heap known only at coarse times (cuda:N/torch,
  // read once a second), has flat steps that say nothing either way.
  size_t rising = 0;
  size_t moved = 0;
  for (size_t i = 1; i < n; ++i) {
    if (floor[i] == floor[i - 1]) continue;
    ++moved;
    rising += floor[i] > floor[i - 1];
  }
  result.rising_share = moved > 0 ? static_cast<double>(rising) / static_cast<double>(moved) : 0;
  double total_growth = floor[n - 1] - floor[0];
  result.growth = total_growth > 0 ? static_cast<uint64_t>(total_growth) : 0;
  double late_growth = total_growth > 0 ? (floor[n - 1] - floor[n / 2]) / total_growth : 0;

  // Leak: the floor keeps rising - steadily, through most steps, and still
  // in the second half. Checked first: a leak under batch churn is a leak.
  if (line.slope >= t.leak_min_slope && line.fit >= t.leak_min_fit && result.rising_share >= t.leak_min_rising_share &&
      late_growth >= t.leak_min_late_growth) {
    result.verdict = Verdict::Leak;
    result.reason = format("the floor rises %.0f %s/s (fit R² %.2f) through the whole recording", line.slope, t.unit,
                           line.fit);
    return result;
  }

  auto peak = static_cast<double>(result.peak);
  // Sawtooth: repeated falls of a large part of the range back to troughs
  // that do not keep rising. Checked before released late: a
  // batch that happens to end low is still batch work.
  double lowest = floor[0];
  for (double value : floor) lowest = std::min(lowest, value);
  double range = peak - lowest;
  if (range > static_cast<double>(t.stable_max_growth)) {
    // Each fall ends in a trough: the slice's low (a fall within the slice)
    // or the next slice's floor (a fall across the boundary).
    uint32_t drops = 0;
    double first_trough = -1, second_trough = -1;  // the lowest trough of each half; -1: none
    for (size_t i = 0; i < n; ++i) {
      double inside = static_cast<double>(slices[i].high) - static_cast<double>(slices[i].low);
      double across = i + 1 < n ? static_cast<double>(slices[i].end) - floor[i + 1] : 0;
      if (std::max(inside, across) < t.sawtooth_min_drop * range) continue;
      ++drops;
      double trough = inside >= across ? floor[i] : floor[i + 1];
      double& lowest_of_half = i < n / 2 ? first_trough : second_trough;
      lowest_of_half = lowest_of_half < 0 ? trough : std::min(lowest_of_half, trough);
    }
    // The slope of the whole floor says little here (it swings with the
    // batches); under a leak the troughs rise.
    double trough_slope =
        first_trough >= 0 && second_trough >= 0 ? (second_trough - first_trough) / (duration_seconds / 2) : 0;
    if (drops >= t.sawtooth_min_drops && trough_slope < t.leak_min_slope) {
      result.verdict = Verdict::Sawtooth;
      result.reason = format("falls back to its floor %u times; the troughs move %.0f %s/s", drops, trough_slope, t.unit);
      return result;
    }
  }

  // Released late: high for a good part of the recording, then freed in bulk
  // near its end.
  if (result.peak > t.stable_max_growth && static_cast<double>(slices[n - 1].end) <= peak * (1 - t.released_late_min_drop)) {
    size_t last_high = 0, high_slices = 0;
    for (size_t i = 0; i < n; ++i) {
      if (static_cast<double>(slices[i].high) >= 0.5 * peak) {
        last_high = i;
        ++high_slices;
      }
    }
    auto window_start = static_cast<size_t>(static_cast<double>(n) * (1 - t.released_late_window));
    if (last_high + 1 >= window_start && high_slices * 4 >= n) {
      result.verdict = Verdict::ReleasedLate;
      result.reason = format("held up to %.0f %s, then %.0f%% was freed at the end", peak, t.unit,
                             100.0 * (1 - static_cast<double>(slices[n - 1].end) / peak));
      return result;
    }
  }

  // Plateau: it grew, and the growth stopped in the first half.
  double rise = std::max(total_growth, peak - floor[0]);
  if (rise > static_cast<double>(t.stable_max_growth) && late_growth <= t.plateau_max_late_growth) {
    result.verdict = Verdict::Plateau;
    result.reason = format("grew %.0f %s, then stayed flat: a bounded cache or pool (%.0f%% of the growth came in "
                           "the second half)",
                           rise, t.unit, 100.0 * std::max(0.0, late_growth));
    return result;
  }

  result.verdict = Verdict::Stable;
  result.reason = format("no sustained growth (%.0f %s over the recording)", std::max(0.0, total_growth), t.unit);
  return result;
}

}  // namespace leakspy::analyze
