// Every renderer's exact output on the fixture capture. The golden files are
// the reviewed look of each format; scripts/bless-golden.sh re-blesses them.
#include "tests/unit/render/golden.h"

#include <sstream>

#include "analyze/flame_tree.h"
#include "render/flamegraph_svg.h"
#include "render/stack_export.h"
#include "render/top_report.h"
#include "tests/unit/render/render_fixture.h"

namespace leakspy::render {
namespace {

using analyze::FlameTree;
using analyze::Metric;
using test::expect_matches_golden;

std::string top_text(analyze::CaptureModel& model, const TopOptions& options) {
  std::ostringstream out;
  print_top_table(out, model, make_top_report(model, options), options);
  return out.str();
}

TEST_F(RenderTest, GoldenTopTable) {
  analyze::CaptureModel host = model("host");
  expect_matches_golden("top_live.txt", top_text(host, {}));
  TopOptions by_peak;
  by_peak.by = Metric::Peak;
  by_peak.exact_bytes = true;
  by_peak.rows = 3;
  leakspy::test::ReportFixtureOptions attached;
  attached.attached_mid_run = true;
  analyze::CaptureModel all = model("all", attached);
  expect_matches_golden("top_all_peak_bytes_attached.txt", top_text(all, by_peak));
}

TEST_F(RenderTest, GoldenCollapsedStacks) {
  analyze::CaptureModel host = model("host");
  std::ostringstream live, reversed;
  write_collapsed_stacks(live, host, FlameTree::build(host, Metric::Live, false));
  expect_matches_golden("collapsed_live.txt", live.str());
  write_collapsed_stacks(reversed, host, FlameTree::build(host, Metric::Allocated, true));
  expect_matches_golden("collapsed_allocated_reversed.txt", reversed.str());
}

TEST_F(RenderTest, GoldenSpeedscope) {
  analyze::CaptureModel host = model("host");
  std::ostringstream out;
  write_speedscope_json(out, host, FlameTree::build(host, Metric::Live, false), "leakspy golden");
  expect_matches_golden("speedscope_live.json", out.str());
}

TEST_F(RenderTest, GoldenFlamegraph) {
  analyze::CaptureModel host = model("host");
  std::ostringstream live, reversed;
  write_flamegraph_svg(live, host, FlameTree::build(host, Metric::Live, false));
  expect_matches_golden("flamegraph_live.svg", live.str());
  leakspy::test::ReportFixtureOptions attached;
  attached.attached_mid_run = true;
  analyze::CaptureModel all = model("all", attached);
  FlamegraphOptions options;
  options.title = "Peak <memory> & callers";
  options.width = 800;
  write_flamegraph_svg(reversed, all, FlameTree::build(all, Metric::Peak, true), options);
  expect_matches_golden("flamegraph_peak_reversed.svg", reversed.str());
}

TEST_F(RenderTest, FlamegraphOfNothingIsStillAValidPage) {
  analyze::CaptureModel none = model("cuda");
  std::ostringstream out;
  write_flamegraph_svg(out, none, FlameTree::build(none, Metric::Live, false));
  EXPECT_NE(out.str().find("No live bytes"), std::string::npos);
  EXPECT_NE(out.str().find("</svg>"), std::string::npos);
}

}  // namespace
}  // namespace leakspy::render
