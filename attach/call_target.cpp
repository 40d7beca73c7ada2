#include "attach/call_target.h"

#include <array>
#include <cstring>

#include "common/error.h"

namespace leakspy::attach {

namespace {

int32_t read_i32(const uint8_t* bytes) {
  int32_t value = 0;
  std::memcpy(&value, bytes, sizeof value);
  return value;
}

std::optional<uintptr_t> read_slot(const RemoteMemory& memory, uintptr_t slot) {
  uint64_t value = 0;
  memory.read_memory(slot, &value, sizeof value);
  return value == 0 ? std::nullopt : std::optional<uintptr_t>(value);
}

// A PLT stub at `address` jumps through a GOT slot: where the slot points.
// Anything else is taken as the function itself.
std::optional<uintptr_t> through_plt(const RemoteMemory& memory, uintptr_t address) {
  std::array<uint8_t, 16> code{};
  memory.read_memory(address, code.data(), code.size());
  size_t at = 0;
  constexpr std::array<uint8_t, 4> kEndbr64 = {0xf3, 0x0f, 0x1e, 0xfa};
  if (std::memcmp(code.data(), kEndbr64.data(), kEndbr64.size()) == 0) at += kEndbr64.size();
  if (code[at] == 0xf2) ++at;  // bnd prefix (MPX PLTs)
  if (code[at] == 0xff && code[at + 1] == 0x25) {
    uintptr_t next = address + at + 6;
    std::optional<uintptr_t> target = read_slot(memory, next + static_cast<intptr_t>(read_i32(&code[at + 2])));
    // An unbound lazy slot points back into the PLT: nothing known yet.
    if (target && *target >= address - 4096 && *target < address + 4096) return std::nullopt;
    return target;
  }
  return address;
}

}  // namespace

std::optional<uintptr_t> called_function(const RemoteMemory& memory, uintptr_t return_address) {
  try {
    std::array<uint8_t, 6> call{};
    memory.read_memory(return_address - call.size(), call.data(), call.size());
    if (call[1] == 0xe8) {  // call rel32
      return through_plt(memory, return_address + static_cast<intptr_t>(read_i32(&call[2])));
    }
    if (call[0] == 0xff && call[1] == 0x15) {  // call *disp32(%rip)
      return read_slot(memory, return_address + static_cast<intptr_t>(read_i32(&call[2])));
    }
  } catch (const Error&) {
    // Unreadable code or slot: unknown.
  }
  return std::nullopt;
}

}  // namespace leakspy::attach
