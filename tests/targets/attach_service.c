// A long-running multi-threaded C service for attach tests, started without
// leakspy. THREADS workers allocate, fill, check and free blocks of many
// sizes (malloc, calloc, realloc, posix_memalign); the main thread handles a
// "request" every millisecond, and each request leaks a 512-byte block from
// remember_request (the line marked LEAK).
//   attach_service THREADS [PROBE_LIBRARY]
// Prints "ready" once every thread runs. With PROBE_LIBRARY, each line
// "probe" on stdin is answered "probe: hooked" or "probe: original": whether that library's
// GOT entry for malloc points somewhere else than malloc (at the agent).
// When stdin closes: stops the workers and prints a summary that does not
// depend on timing (block checks that failed, a checksum of a fixed
// computation), so an attached run prints exactly what an unattached one does.
#include <dlfcn.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { kMaxRemembered = 200000, kMaxThreads = 16 };

static atomic_int stopping;
static atomic_long check_failures;
static atomic_int running_workers;
static char* remembered[kMaxRemembered];
static int remembered_count;

__attribute__((noinline)) static char* remember_request(int id) {
  char* state = malloc(512);  // LEAK
  __asm__ volatile("" : "+r"(state));
  memset(state, (char)id, 512);
  return state;
}

static void check_block(const unsigned char* block, size_t size, unsigned char value) {
  if (block[0] != value || block[size / 2] != value || block[size - 1] != value) atomic_fetch_add(&check_failures, 1);
}

static void* worker(void* argument) {
  unsigned seed = (unsigned)(uintptr_t)argument;
  atomic_fetch_add(&running_workers, 1);
  for (unsigned long round = 0; !atomic_load(&stopping); ++round) {
    size_t size = 16 + (rand_r(&seed) % 4000);
    unsigned char value = (unsigned char)round;
    unsigned char* block;
    switch (round % 4) {
      case 0: block = malloc(size); break;
      case 1: block = calloc(1, size); break;
      case 2: block = realloc(malloc(size / 2 + 1), size); break;
      default: {
        void* aligned = NULL;
        block = posix_memalign(&aligned, 64, size) == 0 ? aligned : NULL;
      }
    }
    if (block == NULL) {
      atomic_fetch_add(&check_failures, 1);
      continue;
    }
    memset(block, value, size);
    check_block(block, size, value);
    free(block);
  }
  return NULL;
}

// The same on every run: a list of pseudo-random strings, hashed and freed.
static uint64_t fixed_computation(void) {
  uint64_t hash = 1469598103934665603ull;
  unsigned seed = 42;
  for (int i = 0; i < 10000; ++i) {
    size_t length = 1 + rand_r(&seed) % 200;
    char* text = malloc(length + 1);
    for (size_t j = 0; j < length; ++j) text[j] = (char)('a' + rand_r(&seed) % 26);
    text[length] = '\0';
    for (size_t j = 0; j < length; ++j) hash = (hash ^ (unsigned char)text[j]) * 1099511628211ull;
    free(text);
  }
  return hash;
}

int main(int argc, char** argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 2;
  if (threads < 1 || threads > kMaxThreads) return 2;
  void* (*probe_malloc_address)(void) = NULL;
  void* real_malloc = dlsym(RTLD_DEFAULT, "malloc");
  if (argc > 2) {
    void* probe = dlopen(argv[2], RTLD_NOW);
    if (probe == NULL) return 3;
    probe_malloc_address = (void* (*)(void))dlsym(probe, "probe_malloc_address");
  }
  pthread_t workers[kMaxThreads];
  for (int i = 0; i < threads; ++i) pthread_create(&workers[i], NULL, worker, (void*)(uintptr_t)(i + 1));
  while (atomic_load(&running_workers) < threads) usleep(1000);
  printf("ready\n");
  fflush(stdout);

  char line[64];
  size_t used = 0;
  for (int id = 0;; ++id) {
    if (remembered_count < kMaxRemembered) remembered[remembered_count++] = remember_request(id);
    struct pollfd input = {0, POLLIN, 0};
    if (poll(&input, 1, 1) <= 0) continue;
    ssize_t got = read(0, line + used, sizeof(line) - 1 - used);
    if (got <= 0) break;
    used += (size_t)got;
    line[used] = '\0';
    char* end;
    while ((end = strchr(line, '\n')) != NULL) {
      *end = '\0';
      if (strcmp(line, "probe") == 0 && probe_malloc_address != NULL) {
        printf("probe: %s\n", probe_malloc_address() == real_malloc ? "original" : "hooked");
        fflush(stdout);
      }
      used -= (size_t)(end + 1 - line);
      memmove(line, end + 1, used + 1);
    }
  }
  atomic_store(&stopping, 1);
  for (int i = 0; i < threads; ++i) pthread_join(workers[i], NULL);
  long damaged = 0;
  for (int i = 0; i < remembered_count; ++i) {
    if ((unsigned char)remembered[i][511] != (unsigned char)i) ++damaged;
    free(remembered[i]);
  }
  printf("block checks failed: %ld\n", atomic_load(&check_failures) + damaged);
  printf("checksum: %016llx\n", (unsigned long long)fixed_computation());
  return 0;
}
