// The timeline in a real browser (headless Chromium): each heap's line and
// the RSS line are drawn across the plot, the legend names every heap and
// the leaking site with its verdict, and the screenshot shows the leak's red
// area and the heaps' colours.
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/integration/chromium_driver.h"
#include "tests/support/process.h"
#include "tests/support/trend_capture.h"

namespace leakspy {
namespace {

using test::HeadlessChromium;

// 20 s of a service: `remember` leaks 200 KB/s (malloc), `warm_cache` fills
// 2 MiB of python memory, `map_file` maps 1 MiB now and then, RSS rises.
void write_service(const std::string& file) {
  test::ServiceTrend trend;
  trend.leak_bytes = 20'000;  // 200 KB/s: a visible area
  trend.leak_blocks = 100;
  trend.cache_heap = 2;
  trend.mapping = true;
  trend.rss_base = 6'000'000;
  trend.rss_step = 25'000;
  test::write_service_trend(file, {}, trend);
}

TEST(TimelineBrowserTest, EachHeapRssAndTheLeakingSiteAreDrawnAndNamed) {
  if (!HeadlessChromium::available()) GTEST_SKIP() << HeadlessChromium::kBinary << " is not installed";
  std::string directory = test::make_temp_dir();
  write_service(directory + "/service.lspy");
  std::string svg = directory + "/timeline.svg";
  test::ProcessResult result =
      test::run_process({test::leakspy_binary(), "timeline", directory + "/service.lspy", "-o", svg});
  ASSERT_EQ(result.exit_code, 0) << result.err;

  HeadlessChromium browser(directory + "/profile", 1200, 560);
  browser.open("file://" + svg);
  // Every heap's line and the RSS line span most of the plot's width.
  nlohmann::json widths = browser.evaluate(R"js(
    (function () {
      const out = {};
      for (const g of document.querySelectorAll('.ls-heap')) out[g.dataset.heap] = g.getBoundingClientRect().width;
      out.rss = document.querySelector('.ls-rss').getBoundingClientRect().width;
      return out;
    })())js");
  for (const char* line : {"malloc", "mmap", "python", "rss"}) {
    ASSERT_TRUE(widths.contains(line)) << widths.dump();
    EXPECT_GT(widths[line].get<double>(), 600) << line;
  }
  // The legend, as the page renders it.
  nlohmann::json legend = browser.evaluate(
      "Array.from(document.querySelectorAll('#ls-legend text')).map(function (t) { return t.textContent; })");
  std::string text = legend.dump();
  EXPECT_NE(text.find("whole: "), std::string::npos) << text;
  EXPECT_NE(text.find("heap host (malloc): "), std::string::npos) << text;
  EXPECT_NE(text.find("heap mmap: "), std::string::npos) << text;
  EXPECT_NE(text.find("heap python: 2.00 MiB at the end"), std::string::npos) << text;
  EXPECT_NE(text.find("RSS: "), std::string::npos) << text;
  EXPECT_NE(text.find("KiB/s remember (server.c:10)"), std::string::npos) << text;
  EXPECT_NE(text.find("plateau warm_cache (server.c:30)"), std::string::npos) << text;
  EXPECT_NE(text.find("sawtooth map_file (server.c:50)"), std::string::npos) << text;

  // The screenshot: the leak's red area and the heaps' line colours.
  nlohmann::json pixels = browser.count_screenshot_pixels(R"js({
    red: (r, g, b) => r > 200 && g < 140 && b < 140 && r - g > 90,  // the leak's area
    blue: (r, g, b) => b > 150 && r < 80 && g < 130,               // malloc's line
    green: (r, g, b) => g > 120 && r < 90 && b < 100,              // python's line
    orange: (r, g, b) => r > 200 && g > 90 && g < 150 && b < 60,   // mmap's line
  })js");
  std::printf("timeline screenshot: %s\n", pixels.dump().c_str());
  EXPECT_EQ(pixels["width"], 1200);
  EXPECT_EQ(pixels["height"], 560);
  EXPECT_GT(pixels["red"].get<int>(), 20000) << pixels.dump();
  EXPECT_GT(pixels["blue"].get<int>(), 500) << pixels.dump();
  EXPECT_GT(pixels["green"].get<int>(), 500) << pixels.dump();
  EXPECT_GT(pixels["orange"].get<int>(), 500) << pixels.dump();
  std::system(("rm -rf " + directory).c_str());
}

}  // namespace
}  // namespace leakspy
