// Allocates and frees in a loop until killed; prints "ready" once running.
// Used to kill targets (and recorders) mid-recording.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((noinline)) static void* allocate(size_t size) { return malloc(size); }

int main(void) {
  long i = 0;
  void* kept[4096];
  for (;;) {
    char* volatile block = allocate(32 + (size_t)(i % 500));
    block[0] = 1;
    if (i % 100 == 0) {
      kept[(i / 100) % 4096] = block;  // some stay live
    } else {
      free(block);
    }
    if (i == 10000) {
      printf("ready\n");
      fflush(stdout);
    }
    if (i % 1000 == 0) usleep(1000);
    ++i;
  }
  return (int)(long)kept[0];
}
