#pragma once
// Golden-file comparison: tests/golden/NAME holds the expected output. With
// LEAKSPY_BLESS_GOLDEN=1 in the environment the file is rewritten instead
// (scripts/bless-golden.sh), so a deliberate change is one command and a
// reviewable diff.

#include <string>

namespace leakspy::render::test {

// Adds a test failure naming the first differing line when `actual` differs
// from the golden file (and writes `actual` next to the build for a diff).
void expect_matches_golden(const std::string& name, const std::string& actual);

}  // namespace leakspy::render::test
