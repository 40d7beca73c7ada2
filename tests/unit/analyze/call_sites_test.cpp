// Call sites: the innermost location outside the allocation functions.
#include "analyze/call_sites.h"

#include "analyze/allocation_functions.h"
#include "tests/unit/analyze/report_model_fixture.h"

namespace leakspy::analyze {
namespace {

TEST(AllocationFunctions, KnowsTheAllocatorsAndNothingElse) {
  EXPECT_TRUE(is_allocation_function("malloc"));
  EXPECT_TRUE(is_allocation_function("__GI___libc_malloc"));
  EXPECT_TRUE(is_allocation_function("operator new(unsigned long)"));
  EXPECT_TRUE(is_allocation_function("operator new[](unsigned long, std::nothrow_t const&)"));
  EXPECT_TRUE(is_allocation_function("std::__new_allocator<int>::allocate(unsigned long, void const*)"));
  EXPECT_TRUE(is_allocation_function(
      "std::allocator_traits<std::allocator<char> >::allocate(std::allocator<char>&, unsigned long)"));
  EXPECT_TRUE(is_allocation_function("PyObject_Malloc"));
  EXPECT_FALSE(is_allocation_function("std::vector<int, std::allocator<int> >::_M_realloc_insert(int const&)"));
  EXPECT_FALSE(is_allocation_function("std::allocator<int>::deallocate_helper(int*)"));
  EXPECT_FALSE(is_allocation_function("malloc_wrapper"));
  EXPECT_FALSE(is_allocation_function("leak_page"));
  EXPECT_FALSE(is_allocation_function(""));
}

TEST_F(ReportModelTest, SitesSkipAllocationFunctionsAndSumToTheTotals) {
  CaptureModel model = fixture_model("host");
  std::vector<CallSite> sites = call_sites(model, Metric::Live);
  ASSERT_EQ(sites.size(), 5u);
  std::vector<std::string> labels;
  for (const CallSite& site : sites) labels.push_back(model.symbols.label(site.location));
  EXPECT_EQ(labels, (std::vector<std::string>{
                        "parse_json(char const*, int&) (/src/shop/json.cpp:88)",
                        "cache::Store<std::string>::put(std::string const&) (/src/shop/cache.h:17)",
                        "libmystery.so+0x2000", "[no stack]",
                        "load_model (/app/odd;name.py:12)",  // 0 live: last
                    }));
  EXPECT_EQ(sites[1].totals.live_bytes, 1200u);
  EXPECT_EQ(sites[1].totals.allocations, 11u);
  StackTotals sum;
  for (const CallSite& site : sites) sum.add(site.totals);
  EXPECT_EQ(sum.live_bytes, model.totals.live_bytes);
  EXPECT_EQ(sum.peak_bytes, model.totals.peak_bytes);
  EXPECT_EQ(sum.allocated_bytes, model.totals.allocated_bytes);
  EXPECT_EQ(sum.allocations, model.totals.allocations);
}

TEST_F(ReportModelTest, SitesRankByTheAskedMetric) {
  CaptureModel model = fixture_model("host");
  std::vector<CallSite> by_peak = call_sites(model, Metric::Peak);
  EXPECT_EQ(model.symbols.label(by_peak[0].location), "load_model (/app/odd;name.py:12)");
  std::vector<CallSite> by_count = call_sites(model, Metric::Count);
  EXPECT_EQ(by_count[0].totals.allocations, 11u);
  std::vector<CallSite> by_allocated = call_sites(model, Metric::Allocated);
  EXPECT_EQ(by_allocated[0].totals.allocated_bytes, 5000u);
}

TEST(Metric, ParsesItsNames) {
  EXPECT_EQ(parse_metric("live"), Metric::Live);
  EXPECT_EQ(parse_metric("peak"), Metric::Peak);
  EXPECT_EQ(parse_metric("allocated"), Metric::Allocated);
  EXPECT_EQ(parse_metric("count"), Metric::Count);
  EXPECT_THROW(parse_metric("rss"), Error);
}

TEST(PythonFiles, LibrariesAreInstalledPackagesTheStandardLibraryAndFrozenModules) {
  EXPECT_TRUE(is_library_python_file("/usr/lib/python3/dist-packages/torch/nn/functional.py"));
  EXPECT_TRUE(is_library_python_file("/opt/venv/lib/python3.12/site-packages/numpy/core/numeric.py"));
  EXPECT_TRUE(is_library_python_file("/usr/lib/python3.11/threading.py"));
  EXPECT_TRUE(is_library_python_file("/root/.pyenv/versions/3.9.18/lib/python3.9/json/encoder.py"));
  EXPECT_TRUE(is_library_python_file("<frozen importlib._bootstrap>"));
  EXPECT_FALSE(is_library_python_file("/srv/app/serve.py"));
  EXPECT_FALSE(is_library_python_file("/home/me/lib/python3-tools/job.py"));
  EXPECT_FALSE(is_library_python_file("<string>"));
}

}  // namespace
}  // namespace leakspy::analyze
