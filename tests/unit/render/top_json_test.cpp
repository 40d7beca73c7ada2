// The JSON of `top` says what the table says.
#include <sstream>

#include "render/report_summary.h"
#include "render/top_report.h"
#include "render/units.h"
#include "tests/unit/render/render_fixture.h"

namespace leakspy::render {
namespace {

// Issue 16: an attached target that exited was "exited with status -1";
// record --pid cannot know the status of a process it is not the parent of.
TEST_F(RenderTest, AnExitWhoseStatusIsNotKnownIsSaidSo) {
  analyze::CaptureModel known = model("host");
  EXPECT_EQ(recording_text(known), "pid 4242 on build-host, 10 ms from the program's start, exited with status 0");
  EXPECT_EQ(top_json(known, make_top_report(known, {}), {})["capture"]["exit_status"], 0);

  analyze::CaptureModel attached = model("host", {.attached_mid_run = true, .exit_status = -1});
  EXPECT_EQ(recording_text(attached),
            "pid 4242 on build-host, 10 ms from the moment leakspy attached, exited during the recording");
  nlohmann::json json = top_json(attached, make_top_report(attached, {}), {});
  EXPECT_EQ(json["capture"]["target_end"], "exited");
  EXPECT_EQ(json["capture"]["exit_status"], -1);  // schema 1 keeps its integer
}

TEST_F(RenderTest, TopJsonAgreesWithTheTable) {
  analyze::CaptureModel host = model("host");
  TopOptions options;
  TopReport report = make_top_report(host, options);
  std::ostringstream table;
  print_top_table(table, host, report, options);
  nlohmann::json json = top_json(host, report, options);

  EXPECT_EQ(json["totals"]["live_bytes"], 3364u);
  EXPECT_EQ(json["totals"]["peak_bytes"], 7460u);
  EXPECT_EQ(json["totals"]["dropped_events"], 7u);
  EXPECT_EQ(json["capture"]["pid"], 4242u);
  EXPECT_EQ(json["heaps"]["counted"], (std::vector<std::string>{"malloc", "python"}));
  ASSERT_EQ(json["sites"].size(), report.rows.size());
  std::string text = table.str();
  for (const nlohmann::json& site : json["sites"]) {
    // The table row with this location has the same numbers, in human units.
    std::string location = site["location"];
    size_t at = text.find("  " + location + "\n");
    ASSERT_NE(at, std::string::npos) << location;
    std::string row = text.substr(text.rfind('\n', at) + 1, at - text.rfind('\n', at) - 1);
    std::istringstream cells(row);
    std::string live_number, live_unit, peak_number, peak_unit, allocated_number, allocated_unit, count;
    cells >> live_number >> live_unit >> peak_number >> peak_unit >> allocated_number >> allocated_unit >> count;
    EXPECT_EQ(live_number + " " + live_unit, human_bytes(site["live_bytes"])) << row;
    EXPECT_EQ(peak_number + " " + peak_unit, human_bytes(site["peak_bytes"])) << row;
    EXPECT_EQ(allocated_number + " " + allocated_unit, human_bytes(site["allocated_bytes"])) << row;
    EXPECT_EQ(count, human_count(site["allocations"])) << row;
  }
  EXPECT_EQ(json["sites"][0]["function"], "parse_json(char const*, int&)");
  EXPECT_EQ(json["sites"][0]["file"], "/src/shop/json.cpp");
  EXPECT_EQ(json["sites"][0]["line"], 88);
  EXPECT_EQ(json["sites"][0]["rank"], 1);
}

TEST_F(RenderTest, TopShowsCaveats) {
  leakspy::test::ReportFixtureOptions attached;
  attached.attached_mid_run = true;
  analyze::CaptureModel host = model("host", attached);
  TopOptions options;
  nlohmann::json json = top_json(host, make_top_report(host, options), options);
  EXPECT_TRUE(json["capture"]["attached_mid_run"].get<bool>());
  std::string caveats = json["caveats"].dump();
  EXPECT_NE(caveats.find("attached mid-run"), std::string::npos);
  EXPECT_NE(caveats.find("7 events were dropped"), std::string::npos);
}

}  // namespace
}  // namespace leakspy::render

namespace leakspy::render {
namespace {

TEST(CommandText, OneLineQuotedWhereNeeded) {
  capture::CaptureHeader header;
  header.command_line = {"python3", "-c", "import json\nfor i in range(3):\n    print(i)", "--name", "it's"};
  EXPECT_EQ(command_text(header), "python3 -c 'import json for i in range(3): print(i)' --name 'it'\\''s'");
  header.command_line.clear();
  header.executable = "/usr/bin/app";
  EXPECT_EQ(command_text(header), "/usr/bin/app");
}

}  // namespace
}  // namespace leakspy::render
