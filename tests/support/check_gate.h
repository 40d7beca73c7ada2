#pragma once
// `leakspy check CAPTURE --json FILE --min-duration D` for the integration
// tests: its exit code, with the JSON report read back into `report`.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/process.h"

namespace leakspy::test {

inline int run_check(const std::string& capture, const std::string& min_duration, nlohmann::json* report) {
  std::string file = capture + ".check.json";
  ProcessResult result = run_leakspy({"check", capture, "--json", file, "--min-duration", min_duration});
  std::ifstream in(file);
  EXPECT_TRUE(in.good()) << result.err;
  if (in.good()) *report = nlohmann::json::parse(in);
  return result.exit_code;
}

}  // namespace leakspy::test
