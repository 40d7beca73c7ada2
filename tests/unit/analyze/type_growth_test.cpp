// Which Python types grow (issue 17): verdicts on counts of live objects
// from censuses a second apart over 20 s synthetic recordings.
#include "analyze/type_growth.h"

#include <gtest/gtest.h>

#include "tests/unit/analyze/trend_model_fixture.h"

namespace leakspy::analyze {
namespace {

class TypeGrowthTest : public TrendModelTest {
 protected:
  // Censuses at 0.5 s, 1.5 s, ... 19.5 s: "app.Session" rises by
  // `session_step` a census, "app.Cached" fills to 300 in 3 censuses and
  // stays, "dict" stays at 5000; "app.Rare" is listed in one census only.
  TypeGrowthAnalysis analyze(uint64_t session_step) {
    std::string file = path("types.lspy");
    {
      test::TrendCapture capture(file, {});
      for (uint64_t census = 0; census < 20; ++census) {
        std::vector<std::pair<std::string, uint64_t>> counts = {{"dict", 5000},
                                                                {"app.Session", 16 + census * session_step},
                                                                {"app.Cached", std::min<uint64_t>(300, 100 * (census + 1))}};
        if (census == 10) counts.emplace_back("app.Rare", 40);
        capture.python_types(static_cast<double>(census) + 0.5, counts);
      }
      capture.finish(20.0);
    }
    CaptureModel model = read(file);
    return analyze_type_growth(model, {});
  }
  static const TypeGrowth& named(const TypeGrowthAnalysis& analysis, const std::string& name) {
    for (const TypeGrowth& type : analysis.types) {
      if (type.name == name) return type;
    }
    ADD_FAILURE() << "no type " << name;
    return analysis.types.front();
  }
};

TEST_F(TypeGrowthTest, ATypeWhoseCountKeepsRisingLeaksAndComesFirst) {
  TypeGrowthAnalysis analysis = analyze(50);
  EXPECT_EQ(analysis.censuses, 20u);
  ASSERT_EQ(analysis.types.size(), 4u);
  EXPECT_EQ(analysis.types[0].name, "app.Session");
  const TypeGrowth& session = named(analysis, "app.Session");
  EXPECT_EQ(session.verdict.verdict, Verdict::Leak) << session.verdict.reason;
  EXPECT_NEAR(session.verdict.slope, 50, 3);
  EXPECT_EQ(session.count_at_end, 16u + 19 * 50);
  EXPECT_NE(session.verdict.reason.find("objects/s"), std::string::npos) << session.verdict.reason;
}

TEST_F(TypeGrowthTest, ABoundedCacheIsAPlateauAndASteadyTypeIsStable) {
  TypeGrowthAnalysis analysis = analyze(50);
  const TypeGrowth& cached = named(analysis, "app.Cached");
  EXPECT_EQ(cached.verdict.verdict, Verdict::Plateau) << cached.verdict.reason;
  EXPECT_EQ(named(analysis, "dict").verdict.verdict, Verdict::Stable);
  // Listed once: below the census's least count the rest of the time.
  EXPECT_NE(named(analysis, "app.Rare").verdict.verdict, Verdict::Leak);
  EXPECT_EQ(named(analysis, "app.Rare").count_at_end, 0u);
}

TEST_F(TypeGrowthTest, ACountThatDoesNotMoveIsStable) {
  EXPECT_EQ(named(analyze(0), "app.Session").verdict.verdict, Verdict::Stable);
}

TEST_F(TypeGrowthTest, ACaptureWithoutCensusesHasNoTypes) {
  std::string file = path("none.lspy");
  {
    test::TrendCapture capture(file, {});
    capture.finish(20.0);
  }
  TypeGrowthAnalysis analysis = analyze_type_growth(read(file), {});
  EXPECT_EQ(analysis.censuses, 0u);
  EXPECT_TRUE(analysis.types.empty());
}

}  // namespace
}  // namespace leakspy::analyze
