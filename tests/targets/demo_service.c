// The demo target: a small "inference service" that handles requests in a
// loop. Each request allocates a buffer for its input and a result, frees
// the input, and - the bug - stores every result in a response cache that is
// never trimmed. Other work allocates and frees a lot, as real services do.
//   demo_service [SECONDS]   runs for SECONDS (default: until killed)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct Response {
  struct Response* next;
  size_t length;
  char body[];
} Response;

static Response* response_cache = NULL;  // grows forever: the leak

__attribute__((noinline)) static char* decode_request(int id) {
  char* input = malloc(2048);
  snprintf(input, 2048, "request %d", id);
  return input;
}

__attribute__((noinline)) static Response* render_response(const char* input) {
  size_t length = 512 + strlen(input);
  Response* response = malloc(sizeof(Response) + length);
  response->length = length;
  memset(response->body, 'x', length);
  return response;
}

__attribute__((noinline)) static void cache_response(Response* response) {
  response->next = response_cache;  // never evicted
  response_cache = response;
}

__attribute__((noinline)) static void handle_request(int id) {
  char* input = decode_request(id);
  Response* response = render_response(input);
  cache_response(response);
  free(input);
}

__attribute__((noinline)) static void background_work(void) {
  void* scratch[64];
  for (int i = 0; i < 64; i++) scratch[i] = malloc(64 + (size_t)i * 16);
  for (int i = 0; i < 64; i++) free(scratch[i]);
}

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 0;
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  printf("demo_service: pid %d serving\n", getpid());
  fflush(stdout);
  for (int id = 0;; id++) {
    handle_request(id);
    background_work();
    usleep(500);  // about 2000 requests per second
    clock_gettime(CLOCK_MONOTONIC, &now);
    double elapsed = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) * 1e-9;
    if (seconds > 0 && elapsed >= seconds) {
      printf("demo_service: served %d requests\n", id + 1);
      return 0;
    }
  }
}
