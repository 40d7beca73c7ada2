// The read budget (issue 14, finding 6): a small capture whose chunks decode
// into millions of records is refused with CaptureUnreadable before it takes
// the memory it describes, and the documented override reads it anyway.
#include "analyze/read_budget.h"

#include <gtest/gtest.h>

#include "analyze/capture_model.h"
#include "common/error.h"
#include "tests/support/capture_bombs.h"
#include "tests/support/process.h"

namespace leakspy::analyze {
namespace {

const HeapSelection kHost = HeapSelection::parse("host");

// Reads `path` and returns the error it was refused with ("" if none).
std::string refusal(const std::string& path, uint64_t memory_limit = 0) {
  try {
    read_capture_model(path, kHost, {}, true, {}, memory_limit);
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::CaptureUnreadable) << error.what();
    return error.what();
  }
  return "";
}

TEST(ReadBudget, LimitGrowsWithTheFileFromAFloor) {
  EXPECT_EQ(ReadBudget::default_limit(0), ReadBudget::kFloorBytes);
  EXPECT_EQ(ReadBudget::default_limit(1 << 20), ReadBudget::kFloorBytes);
  EXPECT_EQ(ReadBudget::default_limit((1 << 20) + 1000), ReadBudget::kFloorBytes + 1024 * 1000);
  EXPECT_EQ(ReadBudget::default_limit(101ull << 20), (192ull << 20) + (100ull << 30));
  EXPECT_EQ(ReadBudget::default_limit(UINT64_MAX), UINT64_MAX);
}

TEST(ReadBudget, ChargesPastTheLimitThrow) {
  ReadBudget budget("x.lspy", 1000);
  budget.charge_tables(600);
  budget.set_live(400);
  EXPECT_THROW(budget.charge_tables(1), Error);
  budget.set_live(100);  // the live set shrank
  budget.charge_tables(200);
  EXPECT_THROW(budget.set_live(300), Error);
}

// 3.5 M live blocks need a 2^22-slot table (128 MiB; 192 MiB while it
// grows from 64 MiB), past the floor with the chunk buffers, from a file of
// a few KB. Before the budget this read to the end and took 200+ MB.
TEST(ReadBudget, AllocationBombIsRefusedAndTheOverrideReadsIt) {
  std::string path = test::make_temp_dir() + "/allocations.lspy";
  uint64_t file_bytes = test::write_allocation_bomb(path, 3'500'000);
  ASSERT_LT(file_bytes, 1u << 20);
  std::string why = refusal(path);
  EXPECT_NE(why.find("would take more than 192 MiB of memory to read"), std::string::npos) << why;
  EXPECT_NE(why.find("LEAKSPY_READ_MEMORY=SIZE"), std::string::npos) << why;

  CaptureModel model = read_capture_model(path, kHost, {}, true, {}, 2ull << 30);
  EXPECT_EQ(model.totals.allocations, 3'500'000u);
  EXPECT_EQ(model.totals.live_bytes, 16u * 3'500'000u);
}

TEST(ReadBudget, StringBombIsRefused) {
  std::string path = test::make_temp_dir() + "/strings.lspy";
  ASSERT_LT(test::write_string_bomb(path, 4'000'000), 1u << 20);  // 128 MB of std::string
  EXPECT_NE(refusal(path).find("would take more than"), std::string::npos);
}

// Node ids are not repetitive, so Node records compress to about a byte
// each: 1.5 M stacks (2^21 slots, about 200 MB charged) come from 1.5 MB,
// within that file's limit. They are charged all the same: a smaller limit
// refuses them.
TEST(ReadBudget, NodesAreCharged) {
  std::string path = test::make_temp_dir() + "/nodes.lspy";
  ASSERT_LT(test::write_node_bomb(path, 1'500'000), 2u << 20);
  EXPECT_EQ(refusal(path), "");
  EXPECT_NE(refusal(path, 128ull << 20).find("would take more than 128 MiB"), std::string::npos);
}

TEST(ReadBudget, ARealSizedCaptureReads) {
  std::string path = test::make_temp_dir() + "/modest.lspy";
  test::write_allocation_bomb(path, 300'000);
  EXPECT_EQ(refusal(path), "");
}

}  // namespace
}  // namespace leakspy::analyze
