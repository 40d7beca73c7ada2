#include "agent/agent_memory.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace leakspy::agent {

// Raw syscalls: libc's mmap symbol is one of the hooked functions, and the
// agent's own mappings must not show up in the target's mmap heap.
void* map_pages(size_t bytes) {
  long result = syscall(SYS_mmap, nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (result == -1) return nullptr;  // glibc's syscall() returns -1 and sets errno
  return reinterpret_cast<void*>(result);
}

}  // namespace leakspy::agent
