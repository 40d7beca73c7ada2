#include "attach/call_target.h"

#include <gtest/gtest.h>

#include "tests/unit/attach/fake_memory.h"

namespace leakspy::attach {
namespace {

using test::FakeMemory;
using test::le32;

constexpr uintptr_t kCaller = 0x400000;
constexpr uintptr_t kPlt = 0x401000;
constexpr uintptr_t kGot = 0x404000;
constexpr uintptr_t kFunction = 0x7f0000001230;

// "call rel32" ending at `return_address`, aimed at `target`.
void place_call(FakeMemory& memory, uintptr_t return_address, uintptr_t target) {
  std::vector<uint8_t> code = {0x90, 0xe8};
  std::vector<uint8_t> displacement = le32(static_cast<int32_t>(target - return_address));
  code.insert(code.end(), displacement.begin(), displacement.end());
  memory.place(return_address - code.size(), code);
}

// A PLT stub at kPlt: [endbr64] [bnd] jmp *slot(%rip), padded to 16 bytes.
void place_plt(FakeMemory& memory, bool endbr, bool bnd, uintptr_t slot) {
  std::vector<uint8_t> code;
  if (endbr) code.insert(code.end(), {0xf3, 0x0f, 0x1e, 0xfa});
  if (bnd) code.push_back(0xf2);
  code.insert(code.end(), {0xff, 0x25});
  uintptr_t next = kPlt + code.size() + 4;
  std::vector<uint8_t> displacement = le32(static_cast<int32_t>(slot - next));
  code.insert(code.end(), displacement.begin(), displacement.end());
  code.resize(16, 0x90);
  memory.place(kPlt, code);
}

TEST(CalledFunctionTest, FollowsACallThroughEveryKindOfPltStub) {
  for (bool endbr : {false, true}) {
    for (bool bnd : {false, true}) {
      FakeMemory memory;
      place_call(memory, kCaller + 0x20, kPlt);
      place_plt(memory, endbr, bnd, kGot);
      memory.place_word(kGot, kFunction);
      EXPECT_EQ(called_function(memory, kCaller + 0x20), kFunction) << "endbr " << endbr << " bnd " << bnd;
    }
  }
}

TEST(CalledFunctionTest, ReadsTheSlotOfANoPltCall) {
  FakeMemory memory;
  std::vector<uint8_t> code = {0xff, 0x15};
  std::vector<uint8_t> displacement = le32(static_cast<int32_t>(kGot - (kCaller + 0x20)));
  code.insert(code.end(), displacement.begin(), displacement.end());
  memory.place(kCaller + 0x20 - 6, code);
  memory.place_word(kGot, kFunction);
  EXPECT_EQ(called_function(memory, kCaller + 0x20), kFunction);
}

TEST(CalledFunctionTest, ADirectCallIsItsOwnTarget) {
  FakeMemory memory;
  place_call(memory, kCaller + 0x20, kCaller + 0x800);
  memory.place(kCaller + 0x800, std::vector<uint8_t>(16, 0x55));
  EXPECT_EQ(called_function(memory, kCaller + 0x20), kCaller + 0x800);
}

TEST(CalledFunctionTest, AnUnboundLazySlotIsUnknown) {
  FakeMemory memory;
  place_call(memory, kCaller + 0x20, kPlt);
  place_plt(memory, true, false, kGot);
  memory.place_word(kGot, kPlt + 16);  // back into the PLT, to the resolver's push
  EXPECT_FALSE(called_function(memory, kCaller + 0x20).has_value());
}

TEST(CalledFunctionTest, NoCallOrUnreadableCodeIsUnknown) {
  FakeMemory memory;
  memory.place(kCaller, std::vector<uint8_t>(64, 0x90));
  EXPECT_FALSE(called_function(memory, kCaller + 0x20).has_value());
  EXPECT_FALSE(called_function(memory, 0x10).has_value());
}

}  // namespace
}  // namespace leakspy::attach
