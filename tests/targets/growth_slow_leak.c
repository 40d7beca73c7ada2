// Growth target: a slow leak hidden among heavy churn. Every millisecond,
// ten 1 KiB blocks go through a ring of 64 (10 MB/s allocated and freed,
// 64 KiB live at any time); every 50 ms, 50 bytes are leaked from
// remember_session (1000 bytes a second). Paced against CLOCK_MONOTONIC.
//   growth_slow_leak [SECONDS]   (default 4)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

static void* sessions[4096];

// noinline, and the empty asm keeps malloc out of tail position, so that
// the site is this function (see leak_known_line.c).
__attribute__((noinline)) void remember_session(int i) {
  void* session = malloc(50);  // LEAK: 50 bytes every 50 ms
  __asm__ volatile("" : "+r"(session));
  sessions[i % 4096] = session;
}

static void* ring[64];

__attribute__((noinline)) void churn_request(int i) {
  char* block = malloc(1024);  // CHURN
  memset(block, i, 16);
  free(ring[i % 64]);
  ring[i % 64] = block;
}

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 4.0;
  double start = now_seconds();
  int churned = 0, leaked = 0;
  for (;;) {
    double elapsed = now_seconds() - start;
    if (elapsed >= seconds) break;
    while (churned < (int)(elapsed * 10000)) churn_request(churned++);
    while (leaked < (int)(elapsed * 20)) remember_session(leaked++);
    usleep(1000);
  }
  printf("churned %d, leaked %d\n", churned, leaked);
  return 0;  // without freeing: what is live stays live (_exit would skip the agent's last flush)
}
