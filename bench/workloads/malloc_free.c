// The malloc/free microbenchmark: each thread makes ITERATIONS pairs of
// malloc(SIZE) + free at the bottom of a call chain DEPTH frames deep, so
// every event has a native stack of (at least) that depth.
//   malloc_free ITERATIONS DEPTH THREADS [SIZE]
// DEPTH counts this program's own frames between the thread's entry point and
// the malloc call; the thread entry and libc's start frames come on top.
// Events: 2 × ITERATIONS × THREADS (one malloc and one free per iteration).
#include <pthread.h>
#include <stdlib.h>

#include "bench_report.h"

typedef struct {
  long iterations;
  size_t size;
  int depth;
  pthread_barrier_t* start;
} job_t;

__attribute__((noinline)) static void allocate_and_free(const job_t* job) {
  for (long i = 0; i < job->iterations; ++i) {
    char* block = malloc(job->size);
    // Without this the compiler may drop the malloc/free pair altogether.
    __asm__ volatile("" : : "r"(block) : "memory");
    free(block);
  }
}

// noinline, and code after the recursive call so that it is not a tail call:
// the stack really is `depth` frames deep.
__attribute__((noinline)) static void descend(int depth, const job_t* job) {
  if (depth > 1) {
    descend(depth - 1, job);
  } else {
    allocate_and_free(job);
  }
  __asm__ volatile("" : : : "memory");
}

// The start of the measured phase, taken by whichever thread leaves the
// barrier first (the main thread may be scheduled only after the workers are
// done: on 2 cores, short runs used to measure nothing).
static bench_instant phase_begin;

static void wait_for_start(pthread_barrier_t* start) {
  if (pthread_barrier_wait(start) == PTHREAD_BARRIER_SERIAL_THREAD) phase_begin = bench_now();
}

static void* thread_main(void* arg) {
  const job_t* job = arg;
  wait_for_start(job->start);
  // allocate_and_free is the innermost of the `depth` frames.
  descend(job->depth - 1, job);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: malloc_free ITERATIONS DEPTH THREADS [SIZE]\n");
    return 2;
  }
  long iterations = atol(argv[1]);
  int depth = atoi(argv[2]);
  int threads = atoi(argv[3]);
  size_t size = argc > 4 ? (size_t)atol(argv[4]) : 64;
  if (iterations <= 0 || depth < 2 || threads < 1 || threads > 64) {
    fprintf(stderr, "malloc_free: ITERATIONS > 0, DEPTH >= 2, 1 <= THREADS <= 64\n");
    return 2;
  }

  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
  job_t job = {iterations, size, depth, &start};
  pthread_t ids[64];
  for (int t = 0; t < threads; ++t) pthread_create(&ids[t], NULL, thread_main, &job);

  // The measured phase starts when every thread exists and ends when the last
  // one is done: thread creation (stacks, agent thread setup) is excluded.
  wait_for_start(&start);
  for (int t = 0; t < threads; ++t) pthread_join(ids[t], NULL);
  bench_instant end = bench_now();
  bench_instant begin = phase_begin;  // published to this thread by pthread_join
  pthread_barrier_destroy(&start);

  char name[64];
  snprintf(name, sizeof(name), "malloc_free t%d d%d", threads, depth);
  bench_report(name, begin, end, 2 * iterations * threads);
  return 0;
}
