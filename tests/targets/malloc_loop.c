// A single thread that does nothing but malloc and free, as fast as it can,
// until killed: it is nearly always inside one of them, where a call into
// the allocator (dlopen's) must not be made. Prints "ready" once looping.
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  printf("ready\n");
  fflush(stdout);
  for (;;) {
    void* block = malloc(64);
    __asm__ volatile("" : : "r"(block) : "memory");
    free(block);
  }
}
