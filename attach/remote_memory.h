#pragma once
// Read access to another process's memory, behind an interface so that the
// logic that reads a target (instruction checks, remote strings) can be
// tested on a fake. Offline side; throws Error(ProcessExiting) when the
// memory cannot be read.

#include <cstddef>
#include <cstdint>

namespace leakspy::attach {

class RemoteMemory {
 public:
  virtual ~RemoteMemory() = default;
  virtual void read_memory(uintptr_t address, void* out, size_t size) const = 0;
};

// Whether the instruction at `address` enters the kernel (syscall, sysenter,
// int 0x80): a single step of it may block for as long as the call does.
// An unreadable address counts as one (it is not to be stepped either).
bool is_system_call_instruction(const RemoteMemory& memory, uintptr_t address);

}  // namespace leakspy::attach
