// Growth target: an allocator pool that grows once and is then reused. The
// arena takes 32 chunks of 256 KiB during warm-up (the first half second),
// then serves every request from them without allocating again; requests
// also make short-lived scratch buffers. Not a leak: a plateau.
//   growth_arena [SECONDS]   (default 4)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { kChunks = 32, kChunkSize = 256 * 1024 };

static double now_seconds(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

static char* chunks[kChunks];
static int chunk_count;

__attribute__((noinline)) void arena_grow(void) {
  char* chunk = malloc(kChunkSize);  // ARENA: grows once
  __asm__ volatile("" : "+r"(chunk));
  memset(chunk, 0, 64);
  chunks[chunk_count++] = chunk;
}

// A request takes a slice of a chunk (reused round robin) and a scratch buffer.
__attribute__((noinline)) void serve_request(int i) {
  char* slot = chunks[i % chunk_count] + (i % 64) * 4096;
  char* scratch = malloc(2048);  // SCRATCH
  memset(scratch, i, 2048);
  memcpy(slot, scratch, 2048);
  free(scratch);
}

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 4.0;
  double start = now_seconds();
  int served = 0;
  for (;;) {
    double elapsed = now_seconds() - start;
    if (elapsed >= seconds) break;
    while (chunk_count < kChunks && chunk_count < (int)(elapsed * 64) + 1) arena_grow();
    while (served < (int)(elapsed * 2000)) serve_request(served++);
    usleep(1000);
  }
  printf("served %d from %d chunks\n", served, chunk_count);
  return 0;  // without freeing: what is live stays live (_exit would skip the agent's last flush)
}
