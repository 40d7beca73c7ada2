// N threads each doing M malloc/free pairs, keeping every 1000th block.
//   threads_stress THREADS ALLOCATIONS_PER_THREAD
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long per_thread = 1000000;

__attribute__((noinline)) static void* allocate(size_t size) { return malloc(size); }

static void* worker(void* arg) {
  long id = (long)arg;
  long kept = 0;
  for (long i = 0; i < per_thread; ++i) {
    char* volatile block = allocate(16 + (size_t)((i + id) % 200));
    block[0] = (char)i;
    if (i % 1000 == 0) {
      ++kept;  // leaked on purpose
    } else {
      free(block);
    }
  }
  return (void*)kept;
}

int main(int argc, char** argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 8;
  if (argc > 2) per_thread = atol(argv[2]);
  pthread_t ids[64];
  if (threads > 64) threads = 64;
  for (long t = 0; t < threads; ++t) pthread_create(&ids[t], NULL, worker, (void*)t);
  long kept = 0;
  for (int t = 0; t < threads; ++t) {
    void* result;
    pthread_join(ids[t], &result);
    kept += (long)result;
  }
  printf("threads=%d allocations=%ld kept=%ld\n", threads, (long)threads * per_thread, kept);
  return 0;
}
