// The flame graph in a real browser (headless Chromium): a click on a frame
// zooms into it, Reset Zoom restores it, Search highlights matches with the
// share they cover, Escape clears it, and a screenshot shows a drawn graph.
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/integration/chromium_driver.h"
#include "tests/support/process.h"
#include "tests/support/report_fixture.h"

namespace leakspy {
namespace {

using test::HeadlessChromium;

constexpr const char* kParseJson = "parse_json(char const*, int&) (/src/shop/json.cpp:88)";
constexpr const char* kCachePut = "cache::Store<std::string>::put(std::string const&) (/src/shop/cache.h:17)";
constexpr const char* kMain = "main (/src/shop/server.cpp:40)";

// Page-side helpers, defined once per page.
constexpr const char* kHelpers = R"js(
window.frameByName = function (name) {
  for (const g of document.querySelectorAll('#ls-frames > g')) {
    if (g.querySelector('title').textContent.split('\n')[0] === name) return g;
  }
  return null;
};
window.centerOf = function (element) {
  const box = element.getBoundingClientRect();
  return {x: box.x + box.width / 2, y: box.y + box.height / 2};
};
true;
)js";

class FlamegraphBrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HeadlessChromium::available()) GTEST_SKIP() << HeadlessChromium::kBinary << " is not installed";
    directory_ = test::make_temp_dir();
    test::write_report_fixture(directory_ + "/fixture.lspy");
    svg_ = directory_ + "/graph.svg";
    test::ProcessResult result =
        test::run_process({test::leakspy_binary(), "flamegraph", directory_ + "/fixture.lspy", "-o", svg_});
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }
  void TearDown() override {
    if (!directory_.empty()) std::system(("rm -rf " + directory_).c_str());
  }

  static std::string quoted(const std::string& text) { return nlohmann::json(text).dump(); }
  void click_element(HeadlessChromium& browser, const std::string& element_expression) {
    nlohmann::json center = browser.evaluate("centerOf(" + element_expression + ")");
    browser.click(center["x"].get<double>(), center["y"].get<double>());
  }
  void click_frame(HeadlessChromium& browser, const std::string& name) {
    click_element(browser, "frameByName(" + quoted(name) + ").querySelector('rect')");
  }
  std::string frame_attribute(HeadlessChromium& browser, const std::string& name, const std::string& expression) {
    return browser.evaluate("(function (g) { return " + expression + "; })(frameByName(" + quoted(name) + "))").dump();
  }

  std::string directory_;
  std::string svg_;
};

TEST_F(FlamegraphBrowserTest, ClickZoomsSearchHighlightsAndTheGraphIsDrawn) {
  HeadlessChromium browser(directory_ + "/profile", 1200, 400);
  browser.open("file://" + svg_);
  ASSERT_TRUE(browser.evaluate(kHelpers).get<bool>());
  EXPECT_EQ(browser.evaluate("document.querySelectorAll('#ls-frames > g').length"), 8);
  std::string original_width = frame_attribute(browser, kParseJson, "g.querySelector('rect').getAttribute('width')");
  EXPECT_NE(original_width, "\"1180.00\"");

  // A click on parse_json zooms into it: it spans the graph, its ancestor
  // main stays as a faded bar, its sibling subtree is hidden.
  click_frame(browser, kParseJson);
  EXPECT_EQ(browser.evaluate("leakspyFlamegraph.zoomed()"), kParseJson);
  EXPECT_EQ(frame_attribute(browser, kParseJson, "g.querySelector('rect').getAttribute('width')"), "\"1180.00\"");
  EXPECT_EQ(frame_attribute(browser, kMain, "g.classList.contains('ls-parent')"), "true");
  EXPECT_EQ(frame_attribute(browser, kCachePut, "g.classList.contains('ls-hidden')"), "true");
  EXPECT_EQ(browser.evaluate("document.getElementById('ls-unzoom').classList.contains('ls-hidden')"), false);
  // Its text now has room for the whole name.
  EXPECT_EQ(frame_attribute(browser, kParseJson, "g.querySelector('text').textContent"), quoted(kParseJson));

  // Reset Zoom puts every frame back.
  click_element(browser, "document.getElementById('ls-unzoom')");
  EXPECT_EQ(browser.evaluate("leakspyFlamegraph.zoomed()"), nullptr);
  EXPECT_EQ(frame_attribute(browser, kParseJson, "g.querySelector('rect').getAttribute('width')"), original_width);
  EXPECT_EQ(browser.evaluate("document.querySelectorAll('#ls-frames > g.ls-hidden').length"), 0);

  // Search through the button (the prompt answered by the test): two frames
  // match and cover (1200 + 64) of 3364 bytes.
  browser.evaluate("window.prompt = function () { return 'Store|no stack'; }; true");
  click_element(browser, "document.getElementById('ls-search')");
  EXPECT_EQ(browser.evaluate("document.querySelectorAll('#ls-frames > g.ls-match').length"), 2);
  EXPECT_EQ(browser.evaluate("document.getElementById('ls-matched').textContent"), "Matched: 37.6% (2 frames)");
  EXPECT_EQ(frame_attribute(browser, kCachePut, "g.querySelector('rect').getAttribute('fill')"), "\"rgb(230,0,230)\"");
  EXPECT_EQ(browser.evaluate("document.getElementById('ls-search').textContent"), "Reset Search");

  // A match inside a matched frame is not counted twice: parse_json (2100
  // bytes) holds libmystery's 100.
  click_element(browser, "document.getElementById('ls-search')");  // Reset Search
  EXPECT_EQ(browser.evaluate("document.querySelectorAll('#ls-frames > g.ls-match').length"), 0);
  browser.evaluate("window.prompt = function () { return 'json|mystery'; }; true");
  click_element(browser, "document.getElementById('ls-search')");
  EXPECT_EQ(browser.evaluate("document.getElementById('ls-matched').textContent"), "Matched: 62.4% (2 frames)");
  browser.press_key("Escape");
  EXPECT_EQ(browser.evaluate("document.querySelectorAll('#ls-frames > g.ls-match').length"), 0);

  // The screenshot: decoded in the page, it has many pixels of the frames' greens.
  nlohmann::json pixels =
      browser.count_screenshot_pixels("{green: (r, g, b) => g > r + 40 && g > b + 40}");
  EXPECT_EQ(pixels["width"], 1200);
  EXPECT_EQ(pixels["height"], 400);
  // The graph's frames are 1180 px wide and 15 high each, mostly green.
  EXPECT_GT(pixels["green"].get<int>(), 20000) << pixels.dump();
}

TEST_F(FlamegraphBrowserTest, SearchFromTheUrl) {
  HeadlessChromium browser(directory_ + "/profile", 1200, 400);
  browser.open("file://" + svg_ + "?s=operator%20new");
  EXPECT_EQ(browser.evaluate("document.querySelectorAll('#ls-frames > g.ls-match').length"), 1);
  EXPECT_EQ(browser.evaluate("document.getElementById('ls-matched').textContent"), "Matched: 35.7% (1 frame)");
}

}  // namespace
}  // namespace leakspy
