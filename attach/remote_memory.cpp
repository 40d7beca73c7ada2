#include "attach/remote_memory.h"

#include <array>

#include "common/error.h"

namespace leakspy::attach {

bool is_system_call_instruction(const RemoteMemory& memory, uintptr_t address) {
  std::array<uint8_t, 2> bytes{};
  try {
    memory.read_memory(address, bytes.data(), bytes.size());
  } catch (const Error&) {
    return true;  // unreadable: treat it as the instruction not to step
  }
  bool syscall = bytes[0] == 0x0f && bytes[1] == 0x05;
  bool sysenter = bytes[0] == 0x0f && bytes[1] == 0x34;
  bool int80 = bytes[0] == 0xcd && bytes[1] == 0x80;
  return syscall || sysenter || int80;
}

}  // namespace leakspy::attach
