// The quantities users type in options (issue 16: one parser for durations,
// one for rates; each error one line naming the option and the forms).
#include "analyze/quantities.h"

#include <gtest/gtest.h>

#include <functional>

#include "common/error.h"

namespace leakspy::analyze {
namespace {

// The message of the Error(Usage) that `parse` throws, or "" when it throws none.
std::string usage_error(const std::function<void()>& parse) {
  try {
    parse();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::Usage);
    return error.what();
  }
  return "";
}

TEST(Quantities, Durations) {
  EXPECT_DOUBLE_EQ(parse_seconds("10s", "--every"), 10);
  EXPECT_DOUBLE_EQ(parse_seconds("5", "--every"), 5);
  EXPECT_DOUBLE_EQ(parse_seconds("1.5", "--every"), 1.5);
  EXPECT_DOUBLE_EQ(parse_seconds("1.5s", "--every"), 1.5);
  EXPECT_DOUBLE_EQ(parse_seconds("500ms", "--every"), 0.5);
  EXPECT_DOUBLE_EQ(parse_seconds("2m", "--every"), 120);
  EXPECT_DOUBLE_EQ(parse_seconds("2min", "--every"), 120);
  EXPECT_DOUBLE_EQ(parse_seconds("1h", "--every"), 3600);
  EXPECT_DOUBLE_EQ(parse_seconds("1.5h", "--every"), 5400);
  EXPECT_DOUBLE_EQ(parse_seconds("0", "--min-duration"), 0);
  EXPECT_THROW(parse_seconds("-1s", "--every"), Error);
  EXPECT_THROW(parse_seconds("+1s", "--every"), Error);
  EXPECT_THROW(parse_seconds("0x10s", "--every"), Error);
  EXPECT_THROW(parse_seconds("inf", "--every"), Error);
  EXPECT_THROW(parse_seconds("", "--every"), Error);
  EXPECT_EQ(usage_error([] { parse_seconds("10 parsecs", "--every"); }),
            "--every 10 parsecs: expected a duration such as 30 (seconds), 500ms, 1.5s, 2m or 1h");
}

TEST(Quantities, PositiveDurationsRefuseZero) {
  EXPECT_DOUBLE_EQ(parse_positive_seconds("5s", "--duration"), 5);
  EXPECT_DOUBLE_EQ(parse_positive_seconds("500ms", "--duration"), 0.5);
  EXPECT_EQ(usage_error([] { parse_positive_seconds("0s", "--duration"); }),
            "--duration 0s: expected a duration longer than 0, such as 30 (seconds), 500ms, 1.5s, 2m or 1h");
  EXPECT_EQ(usage_error([] { parse_positive_seconds("5x", "--duration"); }),
            "--duration 5x: expected a duration such as 30 (seconds), 500ms, 1.5s, 2m or 1h");
}

TEST(Quantities, ByteCountsFollowDd) {
  EXPECT_EQ(parse_byte_count("4096", "--x"), 4096u);
  EXPECT_EQ(parse_byte_count("64KiB", "--x"), 65536u);
  EXPECT_EQ(parse_byte_count("64K", "--x"), 65536u);
  EXPECT_EQ(parse_byte_count("1MB", "--x"), 1'000'000u);
  EXPECT_EQ(parse_byte_count("2G", "--x"), 2ull << 30);
  EXPECT_EQ(usage_error([] { parse_byte_count("12 apples", "--x"); }),
            "--x 12 apples: expected a size such as 4096, 64KiB, 1MB or 2G");
}

TEST(Quantities, Rates) {
  EXPECT_DOUBLE_EQ(parse_byte_rate("1MB/min", "--max-growth"), 1e6 / 60);
  EXPECT_DOUBLE_EQ(parse_byte_rate("2MB/m", "--max-growth"), 2e6 / 60);
  EXPECT_DOUBLE_EQ(parse_byte_rate("1KiB/s", "--max-growth"), 1024);
  EXPECT_DOUBLE_EQ(parse_byte_rate("100KiB/h", "--max-growth"), 102400.0 / 3600);
  EXPECT_DOUBLE_EQ(parse_byte_rate("36M/h", "--max-growth"), 36.0 * 1048576 / 3600);
  EXPECT_DOUBLE_EQ(parse_byte_rate("512B/s", "--max-growth"), 512);
  EXPECT_THROW(parse_byte_rate("1MB/fortnight", "--max-growth"), Error);
  EXPECT_THROW(parse_byte_rate("1MB/", "--max-growth"), Error);
  EXPECT_EQ(usage_error([] { parse_byte_rate("fast", "--max-growth"); }),
            "--max-growth fast: expected a rate such as 1MB/min, 1KiB/s or 10M/h");
}

// Issue 16: "--max-growth 2MB" was read as 2 MB/s, a limit 60 times what a
// user meaning per minute allowed. Only nothing needs no unit of time.
TEST(Quantities, ARateNeedsAUnitOfTime) {
  EXPECT_EQ(usage_error([] { parse_byte_rate("2MB", "--max-growth"); }),
            "--max-growth 2MB: a rate needs a unit of time: 2MB/s, 2MB/min or 2MB/h");
  EXPECT_EQ(usage_error([] { parse_byte_rate("512", "--leak-min-slope"); }),
            "--leak-min-slope 512: a rate needs a unit of time: 512/s, 512/min or 512/h");
  EXPECT_DOUBLE_EQ(parse_byte_rate("0", "--max-growth"), 0);
  EXPECT_DOUBLE_EQ(parse_byte_rate("0MB", "--max-growth"), 0);
}

}  // namespace
}  // namespace leakspy::analyze
