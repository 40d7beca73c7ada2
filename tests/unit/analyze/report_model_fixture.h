#pragma once
// A temporary directory holding the report fixture, for the model tests.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "analyze/capture_model.h"
#include "tests/support/process.h"
#include "tests/support/report_fixture.h"

namespace leakspy::analyze {

class ReportModelTest : public ::testing::Test {
 protected:
  void SetUp() override { directory_ = test::make_temp_dir(); }
  void TearDown() override { std::system(("rm -rf " + directory_).c_str()); }
  std::string path(const std::string& name) const { return directory_ + "/" + name; }

  CaptureModel fixture_model(const std::string& heap = "host", const test::ReportFixtureOptions& options = {}) {
    std::string file = path("fixture.lspy");
    test::write_report_fixture(file, options);
    return read_capture_model(file, HeapSelection::parse(heap));
  }

  std::string directory_;
};

}  // namespace leakspy::analyze
