// Frames collected with the module that held them when they were seen.
#include "symbolize/native_frame_set.h"

#include <gtest/gtest.h>

#include "capture/format.h"
#include "tests/unit/symbolize/self_module.h"

namespace leakspy::symbolize {
namespace {

TEST(NativeFrameSet, SymbolizesFramesOfLoadedModules) {
  ModuleFile self = test::self_module();
  self.id = 5;
  NativeFrameSet frames;
  frames.module_loaded(self);
  uint64_t probe = test::outer_probe();
  frames.frame_seen(probe);
  frames.frame_seen(probe);                                        // seen twice, resolved once
  frames.frame_seen(capture::kFrameKindMask | (3ull << 32) | 10);  // a Python frame: not native
  frames.frame_seen(0x10);                                         // in no module
  EXPECT_EQ(frames.size(), 2u);
  std::vector<FrameSymbol> symbols = frames.symbolize({});
  ASSERT_EQ(symbols.size(), 2u);
  EXPECT_EQ(symbols[0].address, 0x10u);  // by address
  EXPECT_EQ(symbols[0].module_id, 0u);
  EXPECT_TRUE(symbols[0].frames.empty());
  EXPECT_EQ(symbols[1].address, probe);
  EXPECT_EQ(symbols[1].module_id, 5u);
  ASSERT_EQ(symbols[1].frames.size(), 2u);
  EXPECT_EQ(symbols[1].frames[1].function, "leakspy::symbolize::test::probe::outer_probe()");
}

TEST(NativeFrameSet, AFrameKeepsTheModuleItWasSeenIn) {
  NativeFrameSet frames;
  ModuleFile first{1, "/lib/first.so", "", 0x7000, {{0x0, 0x1000, 5}}};
  ModuleFile second{2, "/lib/second.so", "", 0x7000, {{0x0, 0x1000, 5}}};
  frames.module_loaded(first);
  frames.frame_seen(0x7100);
  frames.frame_seen(0x8000);  // one past the end: the call was the module's last instruction
  frames.module_unloaded(1);
  frames.frame_seen(0x7200);     // nothing mapped there now: the next module's, sent before it
  frames.module_loaded(second);  // dlopen reused the addresses
  frames.frame_seen(0x7300);
  std::vector<FrameSymbol> symbols = frames.symbolize({});
  ASSERT_EQ(symbols.size(), 4u);
  EXPECT_EQ(symbols[0].module_id, 1u);
  EXPECT_EQ(symbols[1].module_id, 2u);
  EXPECT_EQ(symbols[2].module_id, 2u);
  EXPECT_EQ(symbols[3].module_id, 1u);
}

// The agent sends a cycle's stack nodes before the modules loaded in that
// cycle: a library dlopen'ed and allocating at once has its frames seen
// before its module record. They take the module loaded over them.
TEST(NativeFrameSet, AFrameSeenBeforeItsModuleTakesIt) {
  NativeFrameSet frames;
  frames.frame_seen(0x9117);
  frames.frame_seen(0x9000);  // the call just before the segment: not its
  frames.module_loaded({3, "/tmp/libfoo.so", "", 0x8000, {{0x1000, 0x125, 5}}});
  frames.frame_seen(0x9120);
  std::vector<FrameSymbol> symbols = frames.symbolize({});
  ASSERT_EQ(symbols.size(), 3u);
  EXPECT_EQ(symbols[0].module_id, 0u);
  EXPECT_EQ(symbols[1].module_id, 3u);
  EXPECT_EQ(symbols[2].module_id, 3u);
}

}  // namespace
}  // namespace leakspy::symbolize
