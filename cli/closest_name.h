#pragma once
// "Did you mean …?": the known name closest to a mistyped one. Pure; thread-safe.

#include <string>
#include <vector>

namespace leakspy::cli {

// The candidate within a few edits of `typed` (Levenshtein distance up to a
// third of its letters, dashes not counted), or else the only one that
// `typed` begins; "" when none is that close. Ties go to the first candidate.
std::string closest_name(const std::string& typed, const std::vector<std::string>& candidates);

}  // namespace leakspy::cli
