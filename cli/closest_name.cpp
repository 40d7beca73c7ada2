#include "cli/closest_name.h"

#include <algorithm>

namespace leakspy::cli {

namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The letters of a name, without the dashes of an option.
size_t letters(const std::string& name) { return name.size() - std::min(name.find_first_not_of('-'), name.size()); }

}  // namespace

std::string closest_name(const std::string& typed, const std::vector<std::string>& candidates) {
  size_t allowed = letters(typed) / 3;  // "-x" is not a typo of "-o"
  std::string best;
  size_t best_distance = allowed + 1;
  for (const std::string& candidate : candidates) {
    size_t distance = edit_distance(typed, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  if (!best.empty() || letters(typed) < 2) return best;
  std::vector<std::string> begun;
  for (const std::string& candidate : candidates) {
    if (candidate.size() > typed.size() && candidate.compare(0, typed.size(), typed) == 0) begun.push_back(candidate);
  }
  return begun.size() == 1 ? begun.front() : "";
}

}  // namespace leakspy::cli
