// Preloaded (LD_PRELOAD) into every stress target: one thread that sleeps
// 1 ms at a time and keeps, per window, the longest gap between two wake-ups
// minus the sleep: how long the process was stopped from its own side. Each
// gap is kept twice: as seen (the "gap"), and less the time the thread spent
// runnable but waiting for a CPU (/proc/thread-self/schedstat): the "stop".
// A ptrace stop is not run-queue time, so the stop is what leakspy held the
// thread, apart from a busy machine's scheduling delay (16 threads spinning
// on 2 CPUs delay a sleeper by tens of ms, attached or not).
//
// Each process shares one page with the driver, $LEAKSPY_STOPWATCH_DIR/PID.sw
// (layout: struct page; stress/stop_watch.py reads it). To measure a cycle the
// driver writes request = k and waits for ack == k (the thread has begun
// window k), runs the cycle, writes request = k + 1 and waits for ack == k + 1;
// then closed_id == k and closed_max_ns is window k's longest gap. A gap is
// counted at the wake-up that ends it, before that wake-up reads the request,
// so a stop that begins after ack == k lands in window k: no race.
//
// The loop allocates nothing, the thread blocks every signal (leakspy and the
// target keep their signals), and a forked child gets its own thread and page.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define STOP_WATCH_MAGIC 0x6863746177706f74ULL  // "topwatch"
#define SLEEP_NS 1000000LL

struct page {
  uint64_t magic;          // set once the thread runs
  uint64_t pid;
  uint64_t request;        // written by the driver
  uint64_t ack;            // the window the thread counts into now
  uint64_t closed_id;      // the last finished window
  uint64_t closed_max_ns;  // its longest gap
  uint64_t wakeups;        // heartbeat
  uint64_t current_max_ns;
  uint64_t closed_stop_ns;  // the longest gap less run-queue wait, of the last finished window
  uint64_t current_stop_ns;
};

static struct page* shared;

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

// Nanoseconds this thread has waited on a run queue (schedstat's second
// field), read with pread from a descriptor opened once; -1 if unknown.
static int64_t run_queue_wait_ns(int fd) {
  char text[96];
  ssize_t got = fd < 0 ? -1 : pread(fd, text, sizeof text - 1, 0);
  if (got <= 0) return -1;
  text[got] = '\0';
  char* end = NULL;
  strtoull(text, &end, 10);  // time on the CPU
  return end == text ? -1 : (int64_t)strtoull(end, NULL, 10);
}

static void* watch(void* arg) {
  struct page* p = arg;
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, NULL);
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  const struct timespec sleep = {0, SLEEP_NS};
  uint64_t window = __atomic_load_n(&p->request, __ATOMIC_ACQUIRE);
  uint64_t longest = 0;
  uint64_t longest_stop = 0;
  int schedstat = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
  __atomic_store_n(&p->ack, window, __ATOMIC_RELEASE);
  __atomic_store_n(&p->magic, STOP_WATCH_MAGIC, __ATOMIC_RELEASE);
  int64_t before = now_ns();
  int64_t waited_before = run_queue_wait_ns(schedstat);
  for (;;) {
    clock_nanosleep(CLOCK_MONOTONIC, 0, &sleep, NULL);
    int64_t after = now_ns();
    int64_t waited_after = run_queue_wait_ns(schedstat);
    int64_t gap = after - before - SLEEP_NS;
    int64_t stop = waited_before >= 0 && waited_after >= 0 ? gap - (waited_after - waited_before) : gap;
    before = after;
    waited_before = waited_after;
    if (gap > 0 && (uint64_t)gap > longest) longest = (uint64_t)gap;
    if (stop > 0 && (uint64_t)stop > longest_stop) longest_stop = (uint64_t)stop;
    __atomic_store_n(&p->current_max_ns, longest, __ATOMIC_RELAXED);
    __atomic_store_n(&p->current_stop_ns, longest_stop, __ATOMIC_RELAXED);
    __atomic_store_n(&p->wakeups, p->wakeups + 1, __ATOMIC_RELAXED);
    uint64_t request = __atomic_load_n(&p->request, __ATOMIC_ACQUIRE);
    if (request != window) {
      __atomic_store_n(&p->closed_max_ns, longest, __ATOMIC_RELAXED);
      __atomic_store_n(&p->closed_stop_ns, longest_stop, __ATOMIC_RELAXED);
      __atomic_store_n(&p->closed_id, window, __ATOMIC_RELEASE);
      longest = 0;
      longest_stop = 0;
      window = request;
      __atomic_store_n(&p->ack, window, __ATOMIC_RELEASE);
    }
  }
  return NULL;
}

static void start(void) {
  const char* dir = getenv("LEAKSPY_STOPWATCH_DIR");
  if (dir == NULL || dir[0] == '\0') return;
  char path[4096];
  if (snprintf(path, sizeof path, "%s/%d.sw", dir, (int)getpid()) >= (int)sizeof path) return;
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  void* page = MAP_FAILED;
  if (ftruncate(fd, 4096) == 0) page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (page == MAP_FAILED) return;
  if (shared != NULL) munmap(shared, 4096);  // a forked child: the parent's page is not ours
  shared = page;
  shared->pid = (uint64_t)getpid();

  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attributes, 64 * 1024);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);  // the thread starts with every signal blocked
  pthread_t thread;
  if (pthread_create(&thread, &attributes, watch, shared) == 0) pthread_setname_np(thread, "stop-watch");
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attributes);
}

__attribute__((constructor)) static void stop_watch_init(void) {
  pthread_atfork(NULL, NULL, start);
  start();
}
