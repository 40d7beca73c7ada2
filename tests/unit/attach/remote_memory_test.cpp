#include "attach/remote_memory.h"

#include <gtest/gtest.h>

#include "tests/unit/attach/fake_memory.h"

namespace leakspy::attach {
namespace {

TEST(SystemCallInstructionTest, KnowsEveryWayIntoTheKernel) {
  test::FakeMemory memory;
  memory.place(0x1000, {0x0f, 0x05, 0x0f, 0x34, 0xcd, 0x80, 0x48, 0x89, 0xc7});
  EXPECT_TRUE(is_system_call_instruction(memory, 0x1000));   // syscall
  EXPECT_TRUE(is_system_call_instruction(memory, 0x1002));   // sysenter
  EXPECT_TRUE(is_system_call_instruction(memory, 0x1004));   // int 0x80
  EXPECT_FALSE(is_system_call_instruction(memory, 0x1006));  // mov %rax,%rdi
}

TEST(SystemCallInstructionTest, UnreadableCodeIsNotToBeStepped) {
  test::FakeMemory memory;
  EXPECT_TRUE(is_system_call_instruction(memory, 0x1000));
}

}  // namespace
}  // namespace leakspy::attach
