#include "tests/unit/render/golden.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace leakspy::render::test {

namespace {

std::string golden_path(const std::string& name) { return std::string(LEAKSPY_SOURCE_DIR) + "/tests/golden/" + name; }

std::string first_difference(const std::string& expected, const std::string& actual) {
  std::istringstream a(expected), b(actual);
  std::string line_a, line_b;
  for (int line = 1;; ++line) {
    bool more_a = static_cast<bool>(std::getline(a, line_a));
    bool more_b = static_cast<bool>(std::getline(b, line_b));
    if (!more_a && !more_b) return "the files differ only in their line ends";
    if (line_a != line_b || more_a != more_b) {
      return "line " + std::to_string(line) + ":\n  expected: " + (more_a ? line_a : "<end of file>") +
             "\n  actual:   " + (more_b ? line_b : "<end of file>");
    }
  }
}

}  // namespace

void expect_matches_golden(const std::string& name, const std::string& actual) {
  const char* bless = std::getenv("LEAKSPY_BLESS_GOLDEN");
  if (bless != nullptr && std::string(bless) == "1") {
    std::ofstream(golden_path(name), std::ios::binary) << actual;
    return;
  }
  std::ifstream file(golden_path(name), std::ios::binary);
  ASSERT_TRUE(file) << "no golden file " << golden_path(name) << ": run scripts/bless-golden.sh";
  std::string expected((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (expected != actual) {
    std::string actual_path = ::testing::TempDir() + name + ".actual";
    std::ofstream(actual_path, std::ios::binary) << actual;
    ADD_FAILURE() << name << " differs from its golden file (" << first_difference(expected, actual)
                  << ")\nthe output is in " << actual_path
                  << "; if the change is intended, run scripts/bless-golden.sh";
  }
}

}  // namespace leakspy::render::test
