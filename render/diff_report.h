#pragma once
// `leakspy diff`: two captures compared site by site (capture_diff.h), as a
// text table or JSON from the same CaptureDiff. Not thread-safe.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <ostream>

#include "analyze/capture_diff.h"

namespace leakspy::render {

// At most `rows` sites whose `metric` changed (0: all), largest change first.
void print_diff_table(std::ostream& out, const analyze::CaptureModel& before, const analyze::CaptureModel& after,
                      const analyze::CaptureDiff& diff, size_t rows);

nlohmann::json diff_json(const analyze::CaptureModel& before, const analyze::CaptureModel& after,
                         const analyze::CaptureDiff& diff, size_t rows);

}  // namespace leakspy::render
