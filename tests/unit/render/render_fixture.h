#pragma once
// The report fixture read into a model, for the renderer tests.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "analyze/capture_model.h"
#include "tests/support/process.h"
#include "tests/support/report_fixture.h"

namespace leakspy::render {

class RenderTest : public ::testing::Test {
 protected:
  void SetUp() override { directory_ = leakspy::test::make_temp_dir(); }
  void TearDown() override { std::system(("rm -rf " + directory_).c_str()); }

  analyze::CaptureModel model(const std::string& heap = "host",
                              const leakspy::test::ReportFixtureOptions& options = {}) {
    std::string file = directory_ + "/fixture.lspy";
    leakspy::test::write_report_fixture(file, options);
    return analyze::read_capture_model(file, analyze::HeapSelection::parse(heap));
  }

  std::string directory_;
};

}  // namespace leakspy::render
