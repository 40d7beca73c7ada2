#pragma once
// Leak verdicts from the trend of a site's live bytes over time, not from a
// threshold on one number (docs/leak-verdicts.md explains every rule).
//
// The input is one series per site: for each time slice, the lowest, highest
// and last live-bytes value the site had in it. The floor (the lowest value) is
// what a leak raises: short-lived allocations come and go within a slice and
// do not lift it. Pure functions; thread-safe.

#include <cstdint>
#include <string>
#include <vector>

namespace leakspy::analyze {

struct SliceLive {
  uint64_t low = 0;   // the least live bytes during the slice
  uint64_t high = 0;  // the most
  uint64_t end = 0;   // at the slice's end
};

enum class Verdict {
  NotEnoughData,  // too short to tell: the report says how long to record
  Leak,           // keeps rising
  Plateau,        // rose, then flat: a bounded cache, a pool, an arena
  Sawtooth,       // rises and falls back to a floor: batch work
  ReleasedLate,   // held for a while, then freed in bulk near the end
  Stable,         // no growth worth a word
};

const char* verdict_name(Verdict verdict);

// Every threshold, with the defaults documented in docs/leak-verdicts.md.
// `leakspy growth` and `leakspy check` let users override them.
struct VerdictThresholds {
  double min_duration_seconds = 10;   // shorter captures: NotEnoughData
  uint32_t min_slices = 6;
  double leak_min_slope = 256;        // bytes/s of floor growth (15 KiB a minute, 21 MiB a day)
  double leak_min_fit = 0.8;          // R² of the floor's linear fit
  double leak_min_rising_share = 0.5; // share of the slice-to-slice floor steps that moved that rose
  double leak_min_late_growth = 0.25; // the last half still holds this share of the growth
  double plateau_max_late_growth = 0.1;
  double sawtooth_min_drop = 0.5;     // a fall of at least this share of the range
  uint32_t sawtooth_min_drops = 3;
  double released_late_min_drop = 0.75;  // the end is at most 25% of the peak
  double released_late_window = 0.25;    // ... and the fall happened in the last quarter
  uint64_t stable_max_growth = 64 * 1024;  // bytes: less total floor growth is Stable
  const char* unit = "bytes";  // what the series count, for the reasons: bytes, or objects (types)
};

struct GrowthVerdict {
  Verdict verdict = Verdict::NotEnoughData;
  double slope = 0;             // bytes/s, least-squares over the floor
  double fit = 0;               // R² of that fit
  double rising_share = 0;      // of the slice-to-slice floor steps that moved, those that rose
  uint64_t growth = 0;          // last floor minus first floor (0 if it fell)
  uint64_t peak = 0;            // the highest value seen
  std::string reason;           // one sentence: why this verdict
};

// `slices` are consecutive and equally long, covering `duration_seconds`.
GrowthVerdict classify_growth(const std::vector<SliceLive>& slices, double duration_seconds,
                              const VerdictThresholds& thresholds = {});

}  // namespace leakspy::analyze
