// A shared library loaded with dlopen after the agent started. Its GOT entries
// for malloc are what the agent must patch and later restore.
#include <stdlib.h>

// In position-independent code &malloc is read from this library's GOT
// (a GLOB_DAT entry): it shows what the agent wrote there.
void* probe_malloc_address(void) { return (void*)&malloc; }

// A call through this library's PLT entry for malloc. Not a tail call, so
// the return address (the innermost frame) lies in this library.
void* probe_allocate(size_t size) {
  void* block = malloc(size);
  __asm__ volatile("" : : "r"(block) : "memory");
  return block;
}
