// Diagnosis target: allocates only through a zmalloc-style wrapper (as
// redis's zmalloc or nginx's ngx_alloc), from three callers that each keep
// what they get: the sites must be the callers, not the wrapper.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static size_t used_memory;

__attribute__((noinline)) void* zmalloc(size_t size) {
  void* block = malloc(size);
  if (block == NULL) abort();
  used_memory += size;
  __asm__ volatile("" : "+r"(block));
  return block;
}

static void* kept[3000];
static int kept_count;

__attribute__((noinline)) void create_string_object(void) {
  void* object = zmalloc(64);  // LEAK string
  __asm__ volatile("" : "+r"(object));  // no tail call: the caller keeps its frame
  kept[kept_count++] = object;
}

__attribute__((noinline)) void create_list(void) {
  void* object = zmalloc(256);  // LEAK list
  __asm__ volatile("" : "+r"(object));  // no tail call: the caller keeps its frame
  kept[kept_count++] = object;
}

__attribute__((noinline)) void create_client(void) {
  void* object = zmalloc(1024);  // LEAK client
  __asm__ volatile("" : "+r"(object));  // no tail call: the caller keeps its frame
  kept[kept_count++] = object;
}

int main(void) {
  for (int i = 0; i < 1000; i++) {
    create_string_object();
    create_list();
    create_client();  // CALLS client
  }
  printf("used %zu\n", used_memory);
  fflush(stdout);
  _exit(0);
}
