// Growth target: RSS that grows from glibc's heap fragmentation, not from
// live memory. Each of 4 threads (glibc gives each its own arena) works in
// rounds: it allocates 16 blocks of a size that grows every round, writes
// them (so their pages are resident), and then shrinks each to 16 bytes in
// place (realloc). The kept 16 bytes pin the freed rest of each block between
// them: holes too small for the next round's larger blocks, so every round
// takes fresh memory while live bytes grow by only the pins.
//   growth_fragmentation [SECONDS] [leak]   (default 4)
// With "leak", the blocks are kept whole: the same RSS growth, all of it live.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { kThreads = 4, kBlocksPerRound = 16, kBaseSize = 8192, kSizeStep = 128, kMaxRounds = 4096 };

static double seconds_to_run = 4.0;
static int keep_whole;

static double now_seconds(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

__attribute__((noinline)) char* allocate_block(size_t size) {
  char* block = malloc(size);  // BLOCK
  memset(block, 1, size);
  return block;
}

__attribute__((noinline)) char* pin_block(char* block) {
  char* pin = realloc(block, 16);  // PIN: shrinks in place
  __asm__ volatile("" : "+r"(pin));
  return pin;
}

static void* work(void* unused) {
  (void)unused;
  double start = now_seconds();
  for (int round = 0; round < kMaxRounds && now_seconds() - start < seconds_to_run; ++round) {
    size_t size = kBaseSize + (size_t)round * kSizeStep;
    char* blocks[kBlocksPerRound];
    // All first, then the pins: each freed rest lies between two pins (one
    // next to the arena's free top would merge into it).
    for (int i = 0; i < kBlocksPerRound; ++i) blocks[i] = allocate_block(size);
    for (int i = 0; i < kBlocksPerRound && !keep_whole; ++i) pin_block(blocks[i]);
    usleep(50 * 1000);
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc > 1) seconds_to_run = atof(argv[1]);
  keep_whole = argc > 2 && strcmp(argv[2], "leak") == 0;
  pthread_t threads[kThreads];
  for (int i = 0; i < kThreads; ++i) pthread_create(&threads[i], NULL, work, NULL);
  for (int i = 0; i < kThreads; ++i) pthread_join(threads[i], NULL);
  printf("done (%s)\n", keep_whole ? "leak" : "fragmentation");
  return 0;
}
