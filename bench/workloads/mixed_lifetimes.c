// Mixed sizes and lifetimes: replays a synthetic but realistic heap profile,
// the shape that allocator studies of servers report: most allocations are
// small and die young, a few are large and live long.
//   mixed_lifetimes OPERATIONS [SEED]
//
// | class  | share  | sizes            | live blocks kept (≈ lifetime)       |
// |--------|--------|------------------|-------------------------------------|
// | tiny   | 55 %   | 8 B – 64 B       | 64     (dies within ~100 operations)|
// | small  | 30 %   | 64 B – 512 B     | 1024                                |
// | medium | 12 %   | 512 B – 16 KiB   | 4096                                |
// | large  | 2.9 %  | 16 KiB – 256 KiB | 256    (lives ~9000 operations)     |
// | huge   | 0.1 %  | 256 KiB – 4 MiB  | 16     (above glibc's first mmap    |
//                                                  threshold: mmap at first)
//
// Sizes are log-uniform within a class. An operation picks a class and a
// random slot of that class: an empty slot gets a new block; a full one is
// freed and refilled, or (one time in eight, small and medium only) grown
// with realloc. Calls come from four call sites at depths 3 to 24 that change
// every 32 operations, so stacks vary as in a real program. The seed makes
// every run make the same calls.
// Events: every malloc, free and realloc call counts one.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench_report.h"

typedef struct {
  const char* name;
  unsigned share_per_mille;
  size_t min_size;
  size_t max_size;
  size_t slots;
  int may_grow;
} size_class_t;

static const size_class_t kClasses[] = {
    {"tiny", 550, 8, 64, 64, 0},
    {"small", 300, 64, 512, 1024, 1},
    {"medium", 120, 512, 16 << 10, 4096, 1},
    {"large", 29, 16 << 10, 256 << 10, 256, 0},
    {"huge", 1, 256 << 10, 4 << 20, 16, 0},
};
enum { kClassCount = sizeof(kClasses) / sizeof(kClasses[0]), kOperationsPerStack = 32 };

typedef struct {
  uint64_t rng;
  void** slots[kClassCount];
  size_t* sizes[kClassCount];
  long remaining;
  int64_t events;
} replay_t;

static uint64_t next_random(replay_t* replay) {  // xorshift64*
  replay->rng ^= replay->rng >> 12;
  replay->rng ^= replay->rng << 25;
  replay->rng ^= replay->rng >> 27;
  return replay->rng * 0x2545F4914F6CDD1Dull;
}

static size_t random_size(replay_t* replay, const size_class_t* size_class) {
  // Log-uniform between min and max: pick a power of two, then a value in it.
  unsigned low = (unsigned)__builtin_ctzll(size_class->min_size);
  unsigned high = 63u - (unsigned)__builtin_clzll(size_class->max_size);
  unsigned bits = low + (unsigned)(next_random(replay) % (high - low + 1));
  size_t base = (size_t)1 << bits;
  size_t size = base + (size_t)(next_random(replay) % base);
  return size > size_class->max_size ? size_class->max_size : size;
}

static void touch(char* block, size_t size) {
  block[0] = 1;
  block[size - 1] = 2;
}

static void one_operation(replay_t* replay) {
  unsigned pick = (unsigned)(next_random(replay) % 1000);
  int c = 0;
  while (c < kClassCount - 1 && pick >= kClasses[c].share_per_mille) pick -= kClasses[c++].share_per_mille;
  const size_class_t* size_class = &kClasses[c];
  size_t slot = (size_t)(next_random(replay) % size_class->slots);
  void** block = &replay->slots[c][slot];
  size_t* block_size = &replay->sizes[c][slot];
  if (*block != NULL && size_class->may_grow && next_random(replay) % 8 == 0) {
    size_t grown = *block_size + *block_size / 2;
    if (grown > size_class->max_size) grown = size_class->max_size;
    void* moved = realloc(*block, grown);
    if (moved == NULL) abort();
    *block = moved;
    *block_size = grown;
    touch(moved, grown);
    replay->events += 1;
    return;
  }
  if (*block != NULL) {
    free(*block);
    replay->events += 1;
  }
  size_t size = random_size(replay, size_class);
  char* fresh = malloc(size);
  if (fresh == NULL) abort();
  touch(fresh, size);
  *block = fresh;
  *block_size = size;
  replay->events += 1;
}

__attribute__((noinline)) static void run_batch(replay_t* replay) {
  for (int i = 0; i < kOperationsPerStack && replay->remaining > 0; ++i, --replay->remaining) one_operation(replay);
}

__attribute__((noinline)) static void descend(int depth, replay_t* replay) {
  if (depth > 1) {
    descend(depth - 1, replay);
  } else {
    run_batch(replay);
  }
  __asm__ volatile("" : : : "memory");
}

// Four distinct call sites, so that the same depth still gives four stacks.
__attribute__((noinline)) static void site_parse(int depth, replay_t* r) { descend(depth, r); __asm__ volatile(""); }
__attribute__((noinline)) static void site_cache(int depth, replay_t* r) { descend(depth, r); __asm__ volatile(""); }
__attribute__((noinline)) static void site_render(int depth, replay_t* r) { descend(depth, r); __asm__ volatile(""); }
__attribute__((noinline)) static void site_network(int depth, replay_t* r) { descend(depth, r); __asm__ volatile(""); }

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: mixed_lifetimes OPERATIONS [SEED]\n");
    return 2;
  }
  replay_t replay;
  memset(&replay, 0, sizeof(replay));
  replay.remaining = atol(argv[1]);
  replay.rng = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x9E3779B97F4A7C15ull;
  if (replay.rng == 0) replay.rng = 1;
  for (int c = 0; c < kClassCount; ++c) {
    replay.slots[c] = calloc(kClasses[c].slots, sizeof(void*));
    replay.sizes[c] = calloc(kClasses[c].slots, sizeof(size_t));
  }
  void (*const sites[4])(int, replay_t*) = {site_parse, site_cache, site_render, site_network};

  bench_instant begin = bench_now();
  while (replay.remaining > 0) {
    uint64_t choice = next_random(&replay);
    sites[choice % 4](3 + (int)((choice >> 8) % 22), &replay);
  }
  for (int c = 0; c < kClassCount; ++c) {
    for (size_t s = 0; s < kClasses[c].slots; ++s) {
      if (replay.slots[c][s] != NULL) {
        free(replay.slots[c][s]);
        replay.events += 1;
      }
    }
  }
  bench_instant end = bench_now();
  bench_report("mixed_lifetimes", begin, end, replay.events);
  return 0;
}
