// The library late_dlopen loads once recording runs: its one function leaks.
#include <stdlib.h>

// noinline, and the empty asm keeps malloc out of tail position (see leak_known_line.c).
__attribute__((noinline)) void* late_keep(void) {
  void* block = malloc(1000);  // LEAK
  __asm__ volatile("" : "+r"(block));
  return block;
}
