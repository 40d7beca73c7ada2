// The quantities users type for growth options.
#include "analyze/quantities.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace leakspy::analyze {
namespace {

TEST(Quantities, Durations) {
  EXPECT_DOUBLE_EQ(parse_seconds("10s", "--every"), 10);
  EXPECT_DOUBLE_EQ(parse_seconds("10", "--every"), 10);
  EXPECT_DOUBLE_EQ(parse_seconds("500ms", "--every"), 0.5);
  EXPECT_DOUBLE_EQ(parse_seconds("2min", "--every"), 120);
  EXPECT_DOUBLE_EQ(parse_seconds("1.5h", "--every"), 5400);
  EXPECT_THROW(parse_seconds("10 parsecs", "--every"), Error);
  EXPECT_THROW(parse_seconds("-1s", "--every"), Error);
  EXPECT_THROW(parse_seconds("", "--every"), Error);
}

TEST(Quantities, ByteCountsFollowDd) {
  EXPECT_EQ(parse_byte_count("4096", "--x"), 4096u);
  EXPECT_EQ(parse_byte_count("64KiB", "--x"), 65536u);
  EXPECT_EQ(parse_byte_count("64K", "--x"), 65536u);
  EXPECT_EQ(parse_byte_count("1MB", "--x"), 1'000'000u);
  EXPECT_EQ(parse_byte_count("2G", "--x"), 2ull << 30);
  EXPECT_THROW(parse_byte_count("12 apples", "--x"), Error);
}

TEST(Quantities, Rates) {
  EXPECT_DOUBLE_EQ(parse_byte_rate("1MB/min", "--max-growth"), 1e6 / 60);
  EXPECT_DOUBLE_EQ(parse_byte_rate("1KiB/s", "--max-growth"), 1024);
  EXPECT_DOUBLE_EQ(parse_byte_rate("36M/h", "--max-growth"), 36.0 * 1048576 / 3600);
  EXPECT_DOUBLE_EQ(parse_byte_rate("0", "--max-growth"), 0);
  EXPECT_DOUBLE_EQ(parse_byte_rate("512", "--max-growth"), 512);
  EXPECT_THROW(parse_byte_rate("1MB/fortnight", "--max-growth"), Error);
  EXPECT_THROW(parse_byte_rate("1MB/", "--max-growth"), Error);
  try {
    parse_byte_rate("fast", "--max-growth");
    FAIL();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::Usage);
    EXPECT_NE(std::string(error.what()).find("--max-growth fast: expected a rate such as 1MB/min"), std::string::npos);
  }
}

}  // namespace
}  // namespace leakspy::analyze
