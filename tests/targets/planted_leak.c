// Diff target, built twice: planted_leak_clean and planted_leak_planted
// (-DPLANT_LEAK). Both load a configuration table (kept) and handle 1000
// requests with a 512-byte buffer each; the planted build forgets to free
// every tenth request's buffer: 100 x 512 bytes leaked from handle_request.
// Everything else is the same in both builds.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char** config;

__attribute__((noinline)) void load_config(void) {
  config = malloc(64 * sizeof(char*));  // CONFIG: kept by both builds
  for (int i = 0; i < 64; ++i) {
    config[i] = malloc(128);
    snprintf(config[i], 128, "key%d=value%d", i, i);
  }
}

__attribute__((noinline)) size_t handle_request(int i) {
  char* buffer = malloc(512);  // REQUEST
  __asm__ volatile("" : "+r"(buffer));
  snprintf(buffer, 512, "request %d: %s", i, config[i % 64]);
  size_t length = strlen(buffer);
#ifdef PLANT_LEAK
  if (i % 10 == 0) return length;  // the planted leak: an early return skips the free
#endif
  free(buffer);
  return length;
}

int main(void) {
  load_config();
  size_t total = 0;
  for (int i = 0; i < 1000; ++i) total += handle_request(i);
  printf("handled %zu bytes\n", total);
  return 0;  // without freeing: what is live stays live (_exit would skip the agent's last flush)
}
