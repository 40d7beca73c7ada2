// Program-end target: leaks 4096-byte pages at a steady pace from one call
// site (keep_page), then calls exit(); an atexit handler frees every page,
// as a C++ program's static destructors would. So the leak is released only
// by the program's teardown.
//   leak_to_the_end SECONDS [--free|--return]   --free: free the pages before
//   exit(); --return: return from main instead of calling exit()
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void* pages[100000];
static int page_count;

static double now_seconds(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

// noinline, and the empty asm keeps malloc out of tail position (see leak_known_line.c).
__attribute__((noinline)) void keep_page(void) {
  void* page = malloc(4096);  // LEAK
  __asm__ volatile("" : "+r"(page));
  if (page_count < 100000) pages[page_count++] = page;
}

static void free_pages(void) {
  for (int i = 0; i < page_count; i++) free(pages[i]);
  page_count = 0;
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  atexit(free_pages);
  double seconds = atof(argv[1]);
  double start = now_seconds();
  while (now_seconds() - start < seconds) {
    keep_page();
    struct timespec pause = {0, 5000000};
    nanosleep(&pause, NULL);
  }
  if (argc > 2 && strcmp(argv[2], "--free") == 0) {
    free_pages();
    struct timespec settle = {0, 200000000};
    nanosleep(&settle, NULL);
  }
  if (argc > 2 && strcmp(argv[2], "--return") == 0) return 0;
  exit(0);
}
