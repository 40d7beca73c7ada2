#pragma once
// `leakspy growth`: every call site's trend with its verdict, as a text table
// or JSON, both from one GrowthAnalysis so they agree; `leakspy check` words
// its verdicts with the same pieces. Not thread-safe (labels are cached).

#include <cstddef>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "analyze/capture_model.h"
#include "analyze/site_growth.h"
#include "analyze/type_growth.h"

namespace leakspy::render {

// "1.5 MiB/s", "-12 KiB/s", "0 B/s".
std::string human_rate(double bytes_per_second);

// "30 slices of 137 ms; verdicts use growth within the recorded window
// (attached mid-run)" and the like: what the verdicts are based on.
std::string growth_basis_text(const analyze::GrowthAnalysis& analysis);

// What the verdicts cover, for JSON: "run" (recorded from the program's
// start) or "recording" (attached mid-run: growth within the recording).
const char* window_name(const analyze::GrowthAnalysis& analysis);

// "1 leak, 2 sawtooth, 40 stable"
std::string verdict_counts_text(const analyze::GrowthAnalysis& analysis);

// The lines above the table: what was recorded, the slices, the whole
// verdict, the verdict counts and why RSS grows.
void print_growth_summary(std::ostream& out, const analyze::CaptureModel& model,
                          const analyze::GrowthAnalysis& analysis);
// The summary, then at most `rows` sites (0: all), most worrying first, each with its reason.
void print_growth_table(std::ostream& out, const analyze::CaptureModel& model, const analyze::GrowthAnalysis& analysis,
                        size_t rows);

// "kept by history (module global in __main__) -> list -> Tensor; the list
// made at train.py:5, grown at train.py:27": one line per chain.
std::vector<std::string> kept_by_lines(const analyze::CaptureModel& model, const analyze::SiteGrowth& site);

// verdict, slope_bytes_per_second, fit, rising_share, growth_bytes, peak_bytes, reason.
nlohmann::json verdict_json(const analyze::GrowthVerdict& verdict);
// The thresholds the verdicts used, by their documented names.
nlohmann::json thresholds_json(const analyze::VerdictThresholds& thresholds);
// One site: location fields, live bytes at the end, stacks, verdict, and the
// series (low, high, end per slice) when `with_series`.
nlohmann::json site_growth_json(const analyze::CaptureModel& model, const analyze::SiteGrowth& site, bool with_series);

nlohmann::json growth_json(const analyze::CaptureModel& model, const analyze::GrowthAnalysis& analysis, size_t rows);

// `growth --types`: at most `rows` Python types (0: all), most worrying
// first, each with its reason; or why there are none.
void print_type_growth_table(std::ostream& out, const analyze::TypeGrowthAnalysis& types, size_t rows);
// censuses, types_total, and per type: rank, name, objects_at_end, the
// verdict's fields in objects (slope_objects_per_second, growth_objects,
// peak_objects, ...) and the series.
nlohmann::json type_growth_json(const analyze::TypeGrowthAnalysis& types, size_t rows);

}  // namespace leakspy::render
