// What a benchmark workload prints about itself, so that the harness
// (bench/harness.py) can compute per-event costs without trusting a tool's
// own numbers. One line on stdout, "BENCH {json}", printed at the very end;
// tools that share stdout (heaptrack's launcher script) print other lines.
//
// The workload measures its own phase (setup and exit excluded) and its own
// process: under `leakspy run` and `heaptrack` the workload is a child of the
// tool, so the harness's wait4() rusage covers the tool and the workload
// together, and only the workload can say which part was its own.
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct {
  int64_t wall_ns;  // CLOCK_MONOTONIC
  int64_t cpu_ns;   // user + system time of the whole process, every thread
} bench_instant;

static inline int64_t bench_timeval_ns(struct timeval tv) {
  return (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
}

static inline bench_instant bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  bench_instant now = {(int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec,
                       bench_timeval_ns(usage.ru_utime) + bench_timeval_ns(usage.ru_stime)};
  return now;
}

// The peak RSS of this program's own address space: VmHWM, not ru_maxrss,
// because ru_maxrss survives execve and so also holds the RSS of whatever
// forked us (the harness's Python when untracked, leakspy when tracked).
static inline long bench_peak_rss_kb(void) {
  FILE* status = fopen("/proc/self/status", "r");
  if (status == NULL) return -1;
  char line[256];
  long kb = -1;
  while (fgets(line, sizeof(line), status) != NULL) {
    if (strncmp(line, "VmHWM:", 6) == 0) {
      kb = atol(line + 6);
      break;
    }
  }
  fclose(status);
  return kb;
}

// Prints the BENCH line: the measured phase between `start` and `end`, the
// allocator calls it made, and the whole process's CPU time and peak RSS.
static inline void bench_report(const char* workload, bench_instant start, bench_instant end, int64_t events) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  printf("BENCH {\"workload\": \"%s\", \"wall_ns\": %lld, \"cpu_ns\": %lld, \"events\": %lld, "
         "\"process_cpu_ns\": %lld, \"peak_rss_kb\": %ld}\n",
         workload, (long long)(end.wall_ns - start.wall_ns), (long long)(end.cpu_ns - start.cpu_ns),
         (long long)events,
         (long long)(bench_timeval_ns(usage.ru_utime) + bench_timeval_ns(usage.ru_stime)), bench_peak_rss_kb());
  fflush(stdout);
}
