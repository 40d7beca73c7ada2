// Deterministic C target: leaks exactly 1000 x 4096 bytes from one call site
// (leak_page) among allocations it frees again. Prints "ready" on fd 3 when it
// is given one (for attach tests), then waits for a line on stdin if asked to.
//   leak_known_line            run once and exit
//   leak_known_line --wait     after the work, wait until stdin closes
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// noinline and an opaque pointer, so that the compiler keeps every call.
// The empty asm keeps the call out of tail position: a tail call (jmp malloc)
// would leave leak_page off the stack, and reports could not name it.
__attribute__((noinline)) void* leak_page(void) {
  void* page = malloc(4096);
  __asm__ volatile("" : "+r"(page));
  return page;
}

__attribute__((noinline)) void churn(int i) {
  char* volatile scratch = malloc(100 + (size_t)i);
  memset(scratch, i, 100);
  free(scratch);
  void* volatile array = calloc(16, 8);
  array = realloc(array, 256);
  free(array);
}

static void* kept[1000];

int main(int argc, char** argv) {
  for (int i = 0; i < 1000; i++) {
    kept[i] = leak_page();
    churn(i);
  }
  printf("leaked 1000 pages, first at %p\n", kept[0]);
  fflush(stdout);
  if (argc > 1 && strcmp(argv[1], "--wait") == 0) {
    char line[16];
    while (read(0, line, sizeof(line)) > 0) {
    }
  }
  return 0;
}
