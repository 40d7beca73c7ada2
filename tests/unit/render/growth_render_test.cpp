// The growth renderers on a synthetic capture with known trends: the
// timeline SVG's parts, the check report's documented schema, the growth
// JSON against its table, the diff table.
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

#include "analyze/capture_diff.h"
#include "analyze/leak_gate.h"
#include "render/check_report.h"
#include "render/diff_flamegraph.h"
#include "render/diff_report.h"
#include "render/growth_report.h"
#include "render/timeline_svg.h"
#include "tests/support/process.h"
#include "tests/support/trend_capture.h"

namespace leakspy::render {
namespace {

class GrowthRenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = test::make_temp_dir();
    file_ = directory_ + "/service.lspy";
    // 20 s: `remember` leaks 1000 bytes a second; `warm_cache` fills 2 MiB
    // of python memory in 2 s; an mmap'd region comes and goes; RSS rises.
    test::ServiceTrend trend;
    trend.cache_heap = 2;
    trend.mapping = true;
    trend.rss_base = 40'000'000;
    trend.rss_step = 10'000;
    test::write_service_trend(file_, {true, 0x555500000000}, trend);
    analyze::SlicePlan plan;
    plan.slices = 30;
    model_ = analyze::read_capture_model(file_, analyze::HeapSelection::parse("all"), {}, true, plan);
    analysis_ = analyze::analyze_growth(model_, {});
  }
  void TearDown() override { std::system(("rm -rf " + directory_).c_str()); }

  std::string directory_;
  std::string file_;
  analyze::CaptureModel model_;
  analyze::GrowthAnalysis analysis_;
};

size_t occurrences(const std::string& text, const std::string& part) {
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

TEST_F(GrowthRenderTest, TimelineShowsEachHeapRssAndTheSitesWithTheirVerdicts) {
  std::ostringstream out;
  write_timeline_svg(out, model_, analysis_);
  std::string svg = out.str();
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_EQ(occurrences(svg, "<g "), occurrences(svg, "</g>"));
  for (const char* heap : {"malloc", "mmap", "python"}) {
    EXPECT_EQ(occurrences(svg, std::string("class=\"ls-heap\" data-heap=\"") + heap + "\""), 1u) << heap;
    EXPECT_EQ(occurrences(svg, std::string("class=\"ls-legend-heap\" data-heap=\"") + heap + "\""), 1u) << heap;
  }
  EXPECT_NE(svg.find("heap host (malloc): 19.5 KiB at the end"), std::string::npos);
  EXPECT_EQ(occurrences(svg, "class=\"ls-rss\""), 1u);
  EXPECT_NE(svg.find("RSS: 40.0 MiB at the end"), std::string::npos) << "the last Counters record";
  // Three sites stacked, the leak first in the legend with its rate.
  EXPECT_EQ(occurrences(svg, "class=\"ls-site\""), 3u);
  EXPECT_NE(svg.find("data-verdict=\"leak\""), std::string::npos);
  size_t legend = svg.find(">leak +");
  ASSERT_NE(legend, std::string::npos);
  std::string entry = svg.substr(legend, svg.find("</text>", legend) - legend);
  EXPECT_NE(entry.find(" B/s remember (server.c:10)"), std::string::npos) << entry;  // about 1000 B/s
  EXPECT_NE(svg.find(">plateau warm_cache (server.c:30)</text>"), std::string::npos);
  EXPECT_NE(svg.find("attached mid-run: growth within the window"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  // Deterministic.
  std::ostringstream again;
  write_timeline_svg(again, model_, analysis_);
  EXPECT_EQ(again.str(), svg);
}

TEST_F(GrowthRenderTest, CheckReportFollowsItsSchema) {
  analyze::GateResult gate = analyze::apply_leak_gate(analysis_, 0);
  nlohmann::json report = check_json(model_, analysis_, gate);
  // docs/check-report.md, schema 1: every documented field.
  for (const char* field :
       {"schema", "status", "leak_rate_bytes_per_second", "max_growth_bytes_per_second", "capture", "heaps", "window",
        "caveats", "slices", "thresholds", "whole", "verdict_counts", "leaks", "other_sites"}) {
    EXPECT_TRUE(report.contains(field)) << field;
  }
  EXPECT_EQ(report["schema"], 1);
  EXPECT_EQ(report["status"], "fail");
  EXPECT_EQ(report["window"], "recording");
  EXPECT_TRUE(report["capture"]["attached_mid_run"].get<bool>());
  ASSERT_EQ(report["leaks"].size(), 1u);
  const nlohmann::json& leak = report["leaks"][0];
  EXPECT_EQ(leak["function"], "remember");
  EXPECT_EQ(leak["line"], 10);
  EXPECT_EQ(leak["verdict"], "leak");
  EXPECT_NEAR(leak["slope_bytes_per_second"].get<double>(), 1000, 30);
  for (const char* field : {"location", "kind", "file", "module", "live_bytes", "stacks", "fit", "rising_share",
                            "growth_bytes", "peak_bytes", "reason"}) {
    EXPECT_TRUE(leak.contains(field)) << field;
  }
  EXPECT_EQ(report["thresholds"]["leak_min_slope"], 256.0);
  EXPECT_EQ(report["verdict_counts"]["leak"], 1);
  EXPECT_EQ(report["other_sites"][0]["function"], "map_file");  // the mapping comes and goes: a sawtooth
  EXPECT_EQ(report["other_sites"][0]["verdict"], "sawtooth");

  std::ostringstream text;
  print_check_summary(text, model_, analysis_, gate);
  EXPECT_NE(text.str().find("LEAK       remember (/src/server.c:10): +10"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("FAIL       leaks grow"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("verdicts use growth within the recorded window"), std::string::npos) << text.str();
}

// A process that leaks alone fails the check though the whole passes (a
// --max-growth above the sum of all), and the report says which process.
TEST_F(GrowthRenderTest, AProcessThatFailsAloneFailsTheCheck) {
  analyze::GateResult whole = analyze::apply_leak_gate(analysis_, 1e9);
  ASSERT_EQ(whole.status, analyze::GateStatus::Pass);
  std::vector<ProcessCheck> processes = {{7, &model_, &analysis_, analyze::apply_leak_gate(analysis_, 0)},
                                         {8, &model_, &analysis_, analyze::GateResult{}}};
  EXPECT_EQ(check_status(whole, processes), analyze::GateStatus::Fail);
  EXPECT_EQ(check_status(whole, {processes[1]}), analyze::GateStatus::Pass);
  nlohmann::json report = check_json(model_, analysis_, whole, processes);
  EXPECT_EQ(report["status"], "fail");
  ASSERT_EQ(report["processes"].size(), 2u);
  EXPECT_EQ(report["processes"][0]["pid"], 7);
  EXPECT_EQ(report["processes"][0]["status"], "fail");
  EXPECT_EQ(report["processes"][0]["leaks"][0]["function"], "remember");
  EXPECT_EQ(report["processes"][1]["status"], "pass");
  std::ostringstream text;
  print_check_summary(text, model_, analysis_, whole, processes);
  EXPECT_NE(text.str().find("LEAK       [pid 7] remember (/src/server.c:10)"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("processes  2 checked alone: 1 with leaks (7), 1 no leak (8)"), std::string::npos)
      << text.str();
  EXPECT_NE(text.str().find("FAIL       leaks grow 1"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find(" in process 7 "), std::string::npos) << text.str();
  EXPECT_FALSE(check_json(model_, analysis_, whole).contains("processes")) << "one process: no list";
}

TEST_F(GrowthRenderTest, GrowthJsonAndTableAgree) {
  nlohmann::json json = growth_json(model_, analysis_, 0);
  std::ostringstream table;
  print_growth_table(table, model_, analysis_, 0);
  ASSERT_EQ(json["sites"].size(), analysis_.sites.size());
  for (const nlohmann::json& site : json["sites"]) {
    EXPECT_EQ(site["series"]["end"].size(), 30u);
    std::string label = site["location"];
    size_t row = table.str().find("  " + label + "\n");
    ASSERT_NE(row, std::string::npos) << label;
    size_t line_start = table.str().rfind('\n', row) + 1;
    EXPECT_EQ(table.str().substr(line_start, site["verdict"].get<std::string>().size()), site["verdict"]);
  }
  EXPECT_EQ(json["sites"][0]["rank"], 1);
  EXPECT_EQ(json["sites"][0]["verdict"], "leak");
}

TEST(DiffColour, RedGrewBlueShrankWhiteUnchanged) {
  EXPECT_EQ(diff_colour(100, 100, 50), "rgb(250,250,250)");
  EXPECT_EQ(diff_colour(0, 50, 50), "rgb(255,30,30)");
  EXPECT_EQ(diff_colour(50, 0, 50), "rgb(30,30,255)");
  EXPECT_EQ(diff_colour(0, 10, 1000), "rgb(255,207,207)");  // a small change: a tint
}

}  // namespace
}  // namespace leakspy::render
