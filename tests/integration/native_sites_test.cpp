// Issue 17: a native call site is the user's line. The C++ standard library
// (libstdc++, std:: code inlined into the program) is looked past like the
// allocator, and so is an allocator wrapper of the program's own (redis's
// zmalloc), found in the stacks: its callers are the sites, and the report
// names the wrapper.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/process.h"
#include "tests/support/source_lines.h"

namespace leakspy {
namespace {

using nlohmann::json;

class NativeSitesTest : public ::testing::Test {
 protected:
  void SetUp() override { directory_ = test::make_temp_dir(); }
  void TearDown() override { std::system(("rm -rf " + directory_).c_str()); }

  // `run` then `top --json`; the text report in `text_`.
  json record_top(const std::string& target) {
    std::string capture = directory_ + "/" + target + ".lspy";
    test::ProcessResult run = test::run_leakspy({"run", "-o", capture, "--", test::target_path(target)});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    test::ProcessResult top = test::run_leakspy({"top", capture, "--json", "-n", "5"});
    EXPECT_EQ(top.exit_code, 0) << top.err;
    text_ = test::run_leakspy({"top", capture, "-n", "5"}).out;
    return json::parse(top.out);
  }
  // The site at `line` of `source`, or null.
  static json site_at(const json& report, const std::string& source, int line) {
    for (const json& site : report["sites"]) {
      if (site["file"] == source && site["line"] == line) return site;
    }
    return json();
  }

  std::string directory_;
  std::string text_;
};

TEST_F(NativeSitesTest, CxxLeaksThroughTheStandardLibraryAreAtTheUsersLines) {
  json report = record_top("cxx_std_leaks");
  std::string source = std::string(LEAKSPY_SOURCE_DIR) + "/tests/targets/cxx_std_leaks.cpp";
  for (const char* mark : {"// LEAK string", "// LEAK vector", "// LEAK map"}) {
    json site = site_at(report, source, test::line_marked(source, mark));
    ASSERT_FALSE(site.is_null()) << mark << ": " << report["sites"].dump(1);
    EXPECT_GE(site["allocations"].get<int>(), 2000) << site.dump(1);
  }
  // The three lines are the top rows: nothing of the library's is.
  for (size_t i = 0; i < 3 && i < report["sites"].size(); ++i) {
    EXPECT_EQ(report["sites"][i]["file"], source) << report["sites"].dump(1);
  }
}

TEST_F(NativeSitesTest, AnAllocatorWrappersCallersAreTheSites) {
  json report = record_top("wrapped_malloc");
  std::string source = std::string(LEAKSPY_SOURCE_DIR) + "/tests/targets/wrapped_malloc.c";
  struct Expected {
    const char* mark;
    const char* function;
    uint64_t bytes;
  };
  for (const Expected& expected : {Expected{"// LEAK client", "create_client", 1000 * 1024},
                                   Expected{"// LEAK list", "create_list", 1000 * 256},
                                   Expected{"// LEAK string", "create_string_object", 1000 * 64}}) {
    json site = site_at(report, source, test::line_marked(source, expected.mark));
    ASSERT_FALSE(site.is_null()) << expected.mark << ": " << report["sites"].dump(1);
    EXPECT_EQ(site["function"], expected.function);
    EXPECT_EQ(site["live_bytes"], expected.bytes) << site.dump(1);
  }
  EXPECT_EQ(report["sites"][0]["function"], "create_client") << report["sites"].dump(1);
  EXPECT_EQ(report["capture"]["allocator_wrappers"], json::array({"zmalloc"}));
  EXPECT_NE(text_.find("wrappers   zmalloc: they allocate for their callers"), std::string::npos) << text_;

  // A function named with --alloc-fn allocates for its callers too.
  test::ProcessResult named = test::run_leakspy(
      {"top", directory_ + "/wrapped_malloc.lspy", "--alloc-fn", "create_client", "--json", "-n", "1"});
  ASSERT_EQ(named.exit_code, 0) << named.err;
  json first = json::parse(named.out)["sites"][0];
  EXPECT_EQ(first["function"], "main") << first.dump(1);
  EXPECT_EQ(first["line"], test::line_marked(source, "// CALLS client")) << first.dump(1);
  EXPECT_EQ(first["live_bytes"], 1000u * 1024);
}

}  // namespace
}  // namespace leakspy
