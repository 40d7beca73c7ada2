// Stress target: 16 threads in a tight malloc/free loop. Each block is filled
// with a pattern and checked before it is freed (8 blocks held per thread).
// Control protocol on stdin/stdout as in control.py: "ready", "progress",
// "finish" -> "checksum corrupt=N blocks=N bytes=N" over the first MINIMUM
// iterations of every thread (timing-independent; corrupt must be 0).
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define THREADS 16
#define HELD 8
#define MINIMUM 20000ULL
#define MAXIMUM 4000000000ULL

static atomic_int stop;
static _Atomic uint64_t done[THREADS];
static uint64_t corrupt[THREADS], bytes[THREADS];
static double deadline;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static int intact(const unsigned char* block, size_t size, unsigned char pattern) {
  for (size_t k = 0; k < size; ++k)
    if (block[k] != pattern) return 0;
  return 1;
}

static void* work(void* arg) {
  int t = (int)(intptr_t)arg;
  unsigned char* held[HELD] = {0};
  size_t held_size[HELD] = {0};
  unsigned char held_pattern[HELD] = {0};
  uint64_t i = 0;
  for (; i < MAXIMUM; ++i) {
    if (i >= MINIMUM && (atomic_load_explicit(&stop, memory_order_relaxed) || ((i & 4095) == 0 && now() > deadline)))
      break;
    int slot = (int)(i % HELD);
    if (held[slot] != NULL) {
      if (!intact(held[slot], held_size[slot], held_pattern[slot])) ++corrupt[t];
      free(held[slot]);
    }
    size_t size = 16 + ((uint64_t)t * 7919u + i * 104729u) % 8192;
    unsigned char pattern = (unsigned char)(t * 31 + i * 17);
    held[slot] = malloc(size);
    if (held[slot] == NULL) {
      ++corrupt[t];
      continue;
    }
    memset(held[slot], pattern, size);
    held_size[slot] = size;
    held_pattern[slot] = pattern;
    if (i < MINIMUM) bytes[t] += size;
    atomic_store_explicit(&done[t], i + 1, memory_order_relaxed);
  }
  for (int slot = 0; slot < HELD; ++slot) {
    if (held[slot] != NULL && !intact(held[slot], held_size[slot], held_pattern[slot])) ++corrupt[t];
    free(held[slot]);
  }
  return NULL;
}

int main(int argc, char** argv) {
  deadline = now() + (argc > 1 ? atof(argv[1]) : 3600);
  pthread_t threads[THREADS];
  for (int t = 0; t < THREADS; ++t) pthread_create(&threads[t], NULL, work, (void*)(intptr_t)t);
  printf("ready\n");
  fflush(stdout);
  char line[64];
  while (fgets(line, sizeof line, stdin) != NULL && strcmp(line, "finish\n") != 0) {
    if (strcmp(line, "progress\n") != 0) continue;
    printf("progress");
    for (int t = 0; t < THREADS; ++t) printf(" t%02d=%llu", t, (unsigned long long)atomic_load(&done[t]));
    printf("\n");
    fflush(stdout);
  }
  atomic_store(&stop, 1);
  uint64_t bad = 0, total = 0, blocks = 0;
  for (int t = 0; t < THREADS; ++t) {
    pthread_join(threads[t], NULL);
    bad += corrupt[t];
    total += bytes[t];
    blocks += atomic_load(&done[t]) < MINIMUM ? atomic_load(&done[t]) : MINIMUM;
  }
  printf("checksum corrupt=%llu blocks=%llu bytes=%llu\n", (unsigned long long)bad, (unsigned long long)blocks,
         (unsigned long long)total);
  return 0;
}
