// Loads the agent with plain dlopen (no LD_PRELOAD), starts it, then dlopens
// the probe library and checks that its GOT was patched, allocates through
// it, and after the recorder stopped the agent checks the GOT was restored.
//   agent_host AGENT_PATH SOCKET_PATH PROBE_PATH
// Prints: "hooked", "allocated", then after stdin closes "restored" or
// "not-restored", and allocates once more (that allocation must not be recorded).
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void say(const char* line) {
  printf("%s\n", line);
  fflush(stdout);
}

static int wait_until(void* (*probe)(void), void* expected, int equal) {
  for (int i = 0; i < 500; ++i) {  // up to 5 s
    void* now = probe();
    if ((now == expected) == equal) return 1;
    free(malloc(1));  // a hooked call lets the agent patch newly loaded modules
    usleep(10000);
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  void* agent = dlopen(argv[1], RTLD_NOW);
  if (agent == NULL) {
    fprintf(stderr, "dlopen agent: %s\n", dlerror());
    return 3;
  }
  int (*start)(const char*) = (int (*)(const char*))dlsym(agent, "leakspy_agent_start");
  if (start == NULL || start(argv[2]) != 0) return 4;
  void* real_malloc = dlsym(RTLD_DEFAULT, "malloc");

  void* probe = dlopen(argv[3], RTLD_NOW);
  if (probe == NULL) return 5;
  void* (*probe_malloc_address)(void) = (void* (*)(void))dlsym(probe, "probe_malloc_address");
  void* (*probe_allocate)(size_t) = (void* (*)(size_t))dlsym(probe, "probe_allocate");
  if (!wait_until(probe_malloc_address, real_malloc, 0)) {
    say("not-hooked");
    return 6;
  }
  say("hooked");
  void* volatile first = probe_allocate(12345);
  say("allocated");
  char line[16];
  while (read(0, line, sizeof(line)) > 0) {
  }
  say(wait_until(probe_malloc_address, real_malloc, 1) ? "restored" : "not-restored");
  void* volatile second = probe_allocate(12345);
  free(first);
  free(second);
  return 0;
}
