#include "symbolize/demangle.h"

#include <gtest/gtest.h>

namespace leakspy::symbolize {
namespace {

TEST(Demangle, CxxNamesBecomeReadable) {
  EXPECT_EQ(demangle("_Znwm"), "operator new(unsigned long)");
  EXPECT_EQ(demangle("_ZN5cache10make_entryEm"), "cache::make_entry(unsigned long)");
  EXPECT_EQ(demangle("_ZNSt6vectorIiSaIiEE9push_backERKi"),
            "std::vector<int, std::allocator<int> >::push_back(int const&)");
}

TEST(Demangle, OtherNamesStayAsTheyAre) {
  EXPECT_EQ(demangle("malloc"), "malloc");
  EXPECT_EQ(demangle("_Znot a mangled name"), "_Znot a mangled name");
  EXPECT_EQ(demangle(""), "");
  EXPECT_EQ(demangle(nullptr), "");
}

}  // namespace
}  // namespace leakspy::symbolize
