#include "capture/varint.h"

#include <gtest/gtest.h>

#include <limits>

namespace leakspy::capture {
namespace {

TEST(Varint, RoundTripsBoundaryValues) {
  for (uint64_t value : {uint64_t{0}, uint64_t{1}, uint64_t{127}, uint64_t{128}, uint64_t{16383}, uint64_t{16384},
                         (uint64_t{1} << 35) + 5, std::numeric_limits<uint64_t>::max()}) {
    uint8_t buffer[kMaxVarintBytes];
    uint8_t* end = put_varint(buffer, value);
    const uint8_t* in = buffer;
    uint64_t decoded = 0;
    ASSERT_TRUE(get_varint(&in, end, &decoded));
    EXPECT_EQ(decoded, value);
    EXPECT_EQ(in, end);
  }
}

TEST(Varint, SmallValuesTakeOneByte) {
  uint8_t buffer[kMaxVarintBytes];
  EXPECT_EQ(put_varint(buffer, 127) - buffer, 1);
  EXPECT_EQ(put_varint(buffer, 128) - buffer, 2);
}

TEST(Varint, RejectsTruncatedAndOverlongInput) {
  uint8_t truncated[] = {0x80, 0x80};
  const uint8_t* in = truncated;
  uint64_t value;
  EXPECT_FALSE(get_varint(&in, truncated + sizeof(truncated), &value));
  uint8_t overlong[11];
  std::fill(std::begin(overlong), std::end(overlong), 0xFF);
  in = overlong;
  EXPECT_FALSE(get_varint(&in, overlong + sizeof(overlong), &value));
}

TEST(Varint, DeltasRoundTripAcrossTheWholeRange) {
  const uint64_t pairs[][2] = {{0, 0}, {100, 90}, {90, 100}, {0, UINT64_MAX}, {UINT64_MAX, 0},
                               {0x7f0000001000, 0x55d000000000}};
  for (const auto& pair : pairs) {
    uint8_t buffer[kMaxVarintBytes];
    uint8_t* end = put_delta(buffer, pair[0], pair[1]);
    const uint8_t* in = buffer;
    uint64_t decoded = 0;
    ASSERT_TRUE(get_delta(&in, end, pair[1], &decoded));
    EXPECT_EQ(decoded, pair[0]);
  }
  EXPECT_EQ(zigzag_decode(zigzag_encode(-1)), -1);
  EXPECT_EQ(zigzag_encode(-1), 1u);
  EXPECT_EQ(zigzag_encode(1), 2u);
}

}  // namespace
}  // namespace leakspy::capture
