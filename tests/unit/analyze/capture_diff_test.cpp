// Captures compared site by site and as merged flame trees: sites match by
// function name across builds whose every address differs.
#include "analyze/capture_diff.h"

#include <map>

#include "analyze/flame_diff.h"
#include "tests/unit/analyze/trend_model_fixture.h"

namespace leakspy::analyze {
namespace {

// The same program twice, loaded at different addresses, with its lines
// moved by a rebuild (+5); the second build leaks `leaked` more bytes from
// handle_request and has a new site, audit.
void write_build(const std::string& file, uint64_t bias, uint32_t line_shift, uint64_t leaked, bool audit) {
  test::TrendCapture capture(file, {false, bias});
  uint32_t config = capture.stack("load_config", 10 + line_shift);
  uint32_t request = capture.stack("handle_request", 20 + line_shift);
  capture.alloc(0.001, config, 4096);
  for (int i = 0; i < 10; ++i) {
    uint64_t buffer = capture.alloc(0.01 * (i + 1), request, 512);
    if (static_cast<uint64_t>(i) * 512 >= leaked) capture.free(0.01 * (i + 1) + 0.001, buffer);
  }
  if (audit) capture.alloc(0.5, capture.stack("audit", 40), 100);
  capture.finish(1.0);
}

TEST_F(TrendModelTest, SitesMatchByFunctionAcrossBuilds) {
  write_build(path("before.lspy"), 0x555500000000, 0, 0, false);
  write_build(path("after.lspy"), 0x563200000000, 5, 1024, true);
  CaptureModel before = read(path("before.lspy"), {});
  CaptureModel after = read(path("after.lspy"), {});
  CaptureDiff diff = diff_captures(before, after, Metric::Live);
  EXPECT_EQ(diff.before_totals.live_bytes, 4096u);
  EXPECT_EQ(diff.after_totals.live_bytes, 4096u + 1024 + 100);
  ASSERT_EQ(diff.sites.size(), 3u);  // handle_request, audit, load_config (main allocates nothing itself)
  EXPECT_EQ(diff.sites[0].key, "native:handle_request");
  EXPECT_EQ(diff.sites[0].delta(Metric::Live), 1024);
  ASSERT_TRUE(diff.sites[0].before_site && diff.sites[0].after_site) << "one site, found in both";
  EXPECT_EQ(before.symbols.location(*diff.sites[0].before_site).line, 20u);
  EXPECT_EQ(after.symbols.location(*diff.sites[0].after_site).line, 25u);
  EXPECT_EQ(diff.sites[1].key, "native:audit");
  EXPECT_FALSE(diff.sites[1].before_site.has_value());
  EXPECT_EQ(diff.sites[1].delta(Metric::Live), 100);
  EXPECT_EQ(diff.sites[2].delta(Metric::Live), 0);  // load_config: the same
  EXPECT_EQ(diff.sites[2].key, "native:load_config");
  // By allocations, handle_request is unchanged (10 in each).
  CaptureDiff by_count = diff_captures(before, after, Metric::Count);
  EXPECT_EQ(by_count.sites[0].key, "native:audit");
}

TEST(MatchKey, PythonSitesMatchByFunctionFileAndLineNativeByFunction) {
  Location python{LocationKind::Python, "handle", "/app/cache.py", 12, "", 0};
  EXPECT_EQ(match_key(python), "py:handle (/app/cache.py:12)");
  Location native{LocationKind::Native, "parse_json(char const*)", "/src/json.cpp", 88, "/usr/bin/app", 0};
  Location moved = native;
  moved.line = 93;
  moved.module = "/opt/app-2/bin/app";
  EXPECT_EQ(match_key(native), match_key(moved));
  Location unresolved{LocationKind::Unresolved, "", "", 0, "/usr/lib/libmystery.so", 0x2000};
  EXPECT_EQ(match_key(unresolved), "libmystery.so+0x2000");
}

TEST_F(TrendModelTest, FlameDiffMergesFramesByWhatTheyAre) {
  write_build(path("before.lspy"), 0x555500000000, 0, 0, false);
  write_build(path("after.lspy"), 0x563200000000, 5, 1024, true);
  CaptureModel before = read(path("before.lspy"), {});
  CaptureModel after = read(path("after.lspy"), {});
  FlameTree before_tree = FlameTree::build(before, Metric::Live, false);
  FlameTree after_tree = FlameTree::build(after, Metric::Live, false);
  FlameDiff diff = diff_flame_trees(before, before_tree, after, after_tree);
  EXPECT_EQ(diff.before_total, 4096u);
  EXPECT_EQ(diff.after_total, 4096u + 1124);
  EXPECT_EQ(diff.before[0], 4096u);
  EXPECT_EQ(diff.after[0], 4096u + 1124);
  // main > {audit, handle_request, load_config}: one main, matched across builds.
  const FlameNode& root = diff.tree.root();
  ASSERT_EQ(root.children.size(), 1u);
  uint32_t main_node = root.children[0];
  EXPECT_EQ(after.symbols.location(diff.tree.nodes()[main_node].location).function, "main");
  std::map<std::string, std::pair<uint64_t, uint64_t>> children;
  for (uint32_t child : diff.tree.nodes()[main_node].children) {
    children[after.symbols.location(diff.tree.nodes()[child].location).function] = {diff.before[child],
                                                                                    diff.after[child]};
  }
  EXPECT_EQ(children["handle_request"], std::make_pair(uint64_t{0}, uint64_t{1024}));
  EXPECT_EQ(children["audit"], std::make_pair(uint64_t{0}, uint64_t{100}));
  EXPECT_EQ(children["load_config"], std::make_pair(uint64_t{4096}, uint64_t{4096}));
  // Widths: the larger of the two values, so a shrink stays visible too.
  EXPECT_EQ(diff.tree.total(), 4096u + 1024 + 100);
}

TEST_F(TrendModelTest, FlameDiffOfTwoMomentsOfOneCapture) {
  test::TrendCapture capture(path("moments.lspy"), {});
  uint32_t grow = capture.stack("grow", 10);
  uint32_t shrink = capture.stack("shrink", 20);
  std::vector<uint64_t> blocks;
  for (int i = 0; i < 10; ++i) blocks.push_back(capture.alloc(0.1, shrink, 1000));
  for (int i = 0; i < 10; ++i) {
    capture.alloc(1.0 + i * 0.1, grow, 500);
    capture.free(1.0 + i * 0.1, blocks[static_cast<size_t>(i)]);
  }
  capture.finish(3.0);
  SlicePlan plan;
  plan.snapshot_seconds = {0.5, 1.45};  // 5 of each step done by 1.45 s
  CaptureModel model = read(path("moments.lspy"), plan);
  const TimeSlices& slices = *model.slices;
  FlameTree at_first = FlameTree::build_from_values(model, slices.snapshot(0), Metric::Live, false);
  FlameTree at_second = FlameTree::build_from_values(model, slices.snapshot(1), Metric::Live, false);
  EXPECT_EQ(at_first.total(), 10'000u);
  EXPECT_EQ(at_second.total(), 5 * 1000u + 5 * 500u);
  FlameDiff diff = diff_flame_trees(model, at_first, model, at_second);
  for (size_t node = 1; node < diff.tree.nodes().size(); ++node) {
    const std::string& function = model.symbols.location(diff.tree.nodes()[node].location).function;
    if (function == "grow") {
      EXPECT_EQ(std::make_pair(diff.before[node], diff.after[node]), std::make_pair(uint64_t{0}, uint64_t{2500}));
    }
    if (function == "shrink") {
      EXPECT_EQ(std::make_pair(diff.before[node], diff.after[node]), std::make_pair(uint64_t{10'000}, uint64_t{5000}));
    }
  }
}

// Totals from a capture can be any 64-bit value: the change keeps its sign
// and saturates instead of wrapping through a signed cast (issue 14).
TEST(SiteDiff, ChangeOfHugeTotalsKeepsItsSign) {
  SiteDiff site;
  site.after.live_bytes = UINT64_MAX;
  EXPECT_EQ(site.delta(Metric::Live), INT64_MAX);
  std::swap(site.before, site.after);
  EXPECT_EQ(site.delta(Metric::Live), -INT64_MAX);
  site.after.live_bytes = 5;
  site.before.live_bytes = 7;
  EXPECT_EQ(site.delta(Metric::Live), -2);
}

}  // namespace
}  // namespace leakspy::analyze
