#include "render/progress_bar.h"

#include <gtest/gtest.h>

#include <sstream>

namespace leakspy::render {
namespace {

TEST(ProgressBar, LineShowsTheShareAndBytes) {
  EXPECT_EQ(ProgressBar::line("reading a.lspy", 50 << 20, 100 << 20),
            "reading a.lspy [###############...............]  50%  50.0 MiB of 100 MiB");
  EXPECT_EQ(ProgressBar::line("r", 0, 0), "r [##############################] 100%  0 B of 0 B");
}

TEST(ProgressBar, DrawsOnceEachPercentAndClearsTheLine) {
  std::ostringstream out;
  {
    ProgressBar bar(out, "reading", true);
    const uint64_t total = 10 << 20;
    for (uint64_t done = 0; done < total; done += total / 1000) bar.update(done, total);
    bar.update(total, total);
  }
  std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '%'), 101);
  EXPECT_NE(text.find("100%"), std::string::npos);
  // Cleared at the end: the last thing written is a carriage return after spaces.
  EXPECT_EQ(text.back(), '\r');
}

TEST(ProgressBar, NothingWhenDisabledOrSmall) {
  std::ostringstream out;
  ProgressBar off(out, "reading", false);
  off.update(1, 100 << 20);
  ProgressBar small(out, "reading", true);
  small.update(10, 1000);
  small.finish();
  EXPECT_TRUE(out.str().empty());
}

}  // namespace
}  // namespace leakspy::render
