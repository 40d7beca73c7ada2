#pragma once
// Line numbers of marked source lines, so that tests name a leak's line by
// its marker comment ("// LEAK") instead of a number that edits would break.

#include <string>

namespace leakspy::test {

// The 1-based number of the first line of `path` that contains `marker`; 0 if none.
int line_marked(const std::string& path, const std::string& marker);

}  // namespace leakspy::test
