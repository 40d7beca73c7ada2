// `leakspy top` on captures under 1 MB that decode into millions of records
// (issue 14, finding 6): refused with exit code 3 and one line that names the
// override, and never more than 200 MB of memory on the way.
#include <gtest/gtest.h>

#include <functional>
#include <iostream>

#include "tests/support/capture_bombs.h"
#include "tests/support/process.h"

namespace leakspy {
namespace {

constexpr int kExitCaptureUnreadable = 3;  // docs/exit-codes.md
constexpr long kMaxReportRssKb = 200 * 1024;

struct Bomb {
  const char* name;
  std::function<uint64_t(const std::string&)> write;
  bool refused;  // past the budget of a file its size
};

class HostileCaptureTest : public ::testing::TestWithParam<Bomb> {};

// Whatever a bomb holds, `top` reads it or refuses it, within 200 MB.
TEST_P(HostileCaptureTest, TopStaysWithinBoundedMemory) {
  std::string path = test::make_temp_dir() + "/" + GetParam().name + ".lspy";
  ASSERT_LT(GetParam().write(path), 1u << 20);
  test::ProcessResult top = test::run_process({test::leakspy_binary(), "top", path}, 120);
  EXPECT_LT(top.max_rss_kb, kMaxReportRssKb) << GetParam().name;
  std::cout << GetParam().name << ": top's peak RSS " << top.max_rss_kb << " KiB, exit " << top.exit_code << "\n";
  if (GetParam().refused) {
    EXPECT_EQ(top.exit_code, kExitCaptureUnreadable) << top.err;
    EXPECT_NE(top.err.find("LEAKSPY_READ_MEMORY=SIZE"), std::string::npos) << top.err;
    EXPECT_EQ(top.err.find('\n'), top.err.size() - 1) << "one line: " << top.err;
  } else {
    EXPECT_EQ(top.exit_code, 0) << top.err;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Bombs, HostileCaptureTest,
    ::testing::Values(
        Bomb{"allocations", [](const std::string& path) { return test::write_allocation_bomb(path, 6'000'000); }, true},
        Bomb{"strings", [](const std::string& path) { return test::write_string_bomb(path, 8'000'000); }, true},
        // Node ids compress to about a byte each: under 1 MB, within the floor.
        Bomb{"nodes", [](const std::string& path) { return test::write_node_bomb(path, 900'000); }, false}),
    [](const ::testing::TestParamInfo<Bomb>& bomb) { return bomb.param.name; });

// The documented override: a genuine capture of millions of identical leaked
// blocks compresses as well as a bomb, and reads when allowed more memory.
TEST(HostileCaptureOverrideTest, ReadMemoryAllowsAHugelyCompressibleCapture) {
  std::string path = test::make_temp_dir() + "/constant-stride.lspy";
  test::write_allocation_bomb(path, 6'000'000);
  test::ProcessResult top =
      test::run_process({test::leakspy_binary(), "top", path, "-n", "1"}, 120, {"LEAKSPY_READ_MEMORY=2GB"});
  EXPECT_EQ(top.exit_code, 0) << top.err;
  EXPECT_NE(top.out.find("6,000,000"), std::string::npos) << top.out;
}

}  // namespace
}  // namespace leakspy
