// Replays every input under tests/fuzz/regressions/<target>/ through the
// harness that fuzz_<target> runs (fuzz_harnesses.h), in the ordinary build:
// the crashes the fuzzers found stay fixed, and the seeds keep the harnesses
// working. Under LEAKSPY_SANITIZE the sanitizers watch the replay as well.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_harnesses.h"

namespace leakspy::fuzz {
namespace {

namespace fs = std::filesystem;

fs::path regressions() { return fs::path(LEAKSPY_SOURCE_DIR) / "tests" / "fuzz" / "regressions"; }

std::vector<fs::path> inputs_of(const std::string& target) {
  std::vector<fs::path> inputs;
  for (const fs::directory_entry& entry : fs::directory_iterator(regressions() / target)) {
    if (entry.is_regular_file()) inputs.push_back(entry.path());
  }
  std::sort(inputs.begin(), inputs.end());
  return inputs;
}

class RegressionReplay : public testing::TestWithParam<FuzzTarget> {};

}  // namespace

// A target by its name in test output (GoogleTest finds it by ADL).
void PrintTo(const FuzzTarget& target, std::ostream* out) { *out << target.name; }

namespace {

TEST_P(RegressionReplay, EveryInputIsReadWithoutACrash) {
  const FuzzTarget& target = GetParam();
  std::vector<fs::path> inputs = inputs_of(target.name);
  ASSERT_FALSE(inputs.empty()) << "no inputs in " << (regressions() / target.name);
  for (const fs::path& input : inputs) {
    SCOPED_TRACE(input.string());
    std::ifstream in(input, std::ios::binary);
    ASSERT_TRUE(in) << "cannot read " << input;
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(target.entry(bytes.data(), bytes.size()), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Fuzz, RegressionReplay, testing::ValuesIn(fuzz_targets().begin(), fuzz_targets().end()),
                         [](const testing::TestParamInfo<FuzzTarget>& target) { return std::string(target.param.name); });

// A folder no harness reads would be a regression nobody replays.
TEST(RegressionFolders, EachNamesAHarness) {
  for (const fs::directory_entry& entry : fs::directory_iterator(regressions())) {
    std::string name = entry.path().filename().string();
    bool known = std::any_of(fuzz_targets().begin(), fuzz_targets().end(),
                             [&](const FuzzTarget& target) { return name == target.name; });
    EXPECT_TRUE(known) << entry.path() << " is not the folder of a fuzz target";
  }
}

}  // namespace
}  // namespace leakspy::fuzz
