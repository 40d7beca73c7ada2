// The target of the attach-mode benchmark: malloc/free pairs at the bottom of
// a 5-frame call chain, in batches, until SIGTERM; it keeps the end time of
// every batch so that the harness can see, from the target's side, when a
// tool's hooks started costing time (attach latency), what they cost while
// attached, and when the target ran at full speed again (detach time).
//   attach_target TIMELINE_FILE [BATCH_ITERATIONS]
// Prints "ready <pid>" on stdout once the loop runs; on SIGTERM it writes the
// loop's start time and then every batch's end time (CLOCK_MONOTONIC ns,
// little-endian int64) to TIMELINE_FILE and prints the BENCH line. Nothing in
// the loop allocates except the measured pairs: the timeline is a static array.
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench_report.h"

enum { kMaxBatches = 1 << 22, kDepth = 5 };

static int64_t batch_ends[kMaxBatches];
static volatile sig_atomic_t stop_requested;

static void on_sigterm(int signal_number) {
  (void)signal_number;
  stop_requested = 1;
}

__attribute__((noinline)) static void allocate_and_free(long iterations) {
  for (long i = 0; i < iterations; ++i) {
    char* block = malloc(64);
    __asm__ volatile("" : : "r"(block) : "memory");
    free(block);
  }
}

__attribute__((noinline)) static void descend(int depth, long iterations) {
  if (depth > 1) {
    descend(depth - 1, iterations);
  } else {
    allocate_and_free(iterations);
  }
  __asm__ volatile("" : : : "memory");
}

static int64_t monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: attach_target TIMELINE_FILE [BATCH_ITERATIONS]\n");
    return 2;
  }
  long iterations = argc > 2 ? atol(argv[2]) : 1000;
  struct sigaction action = {0};
  action.sa_handler = on_sigterm;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, NULL);

  printf("ready %d\n", (int)getpid());
  fflush(stdout);
  bench_instant begin = bench_now();
  long batches = 0;
  while (!stop_requested && batches < kMaxBatches) {
    descend(kDepth - 1, iterations);
    batch_ends[batches++] = monotonic_ns();
  }
  bench_instant end = bench_now();

  FILE* timeline = fopen(argv[1], "wb");
  if (timeline == NULL || fwrite(&begin.wall_ns, sizeof(int64_t), 1, timeline) != 1 ||
      fwrite(batch_ends, sizeof(int64_t), (size_t)batches, timeline) != (size_t)batches || fclose(timeline) != 0) {
    perror("attach_target: writing the timeline");
    return 1;
  }
  bench_report("attach_target", begin, end, 2 * iterations * batches);
  return 0;
}
