#pragma once
// Synthetic captures with chosen trends (tests/support/trend_capture.h) in a
// temporary directory, read into sliced models, for the growth, diff and
// flame diff tests.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "analyze/capture_model.h"
#include "tests/support/process.h"
#include "tests/support/trend_capture.h"

namespace leakspy::analyze {

class TrendModelTest : public ::testing::Test {
 protected:
  void SetUp() override { directory_ = test::make_temp_dir(); }
  void TearDown() override { std::system(("rm -rf " + directory_).c_str()); }
  std::string path(const std::string& name) const { return directory_ + "/" + name; }

  static CaptureModel read(const std::string& file, const SlicePlan& plan = {30, 0, {}},
                           const std::string& heap = "host") {
    return read_capture_model(file, HeapSelection::parse(heap), {}, true, plan);
  }

  std::string directory_;
};

}  // namespace leakspy::analyze
