// Calls every hooked function once with a size of its own (1000 + n), so a
// test can find each one in the capture; dlopens and dlcloses a library
// twice while recording; then forks: the child allocates 777777 bytes (which
// must not appear in the parent's capture) and exits.
//   every_hook PROBE_LIBRARY
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  void* volatile p;
  p = malloc(1001);
  free(p);
  p = calloc(1, 1002);
  free(p);
  p = realloc(NULL, 1003);
  p = realloc(p, 1004);
  free(p);
  p = reallocarray(NULL, 1, 1005);
  p = reallocarray(p, 2, 1006 / 2);
  free(p);
  void* aligned = NULL;
  if (posix_memalign(&aligned, 64, 1007) == 0) free(aligned);
  p = aligned_alloc(64, 1024 + 8);  // aligned_alloc wants a multiple of the alignment
  free(p);
  p = memalign(64, 1009);
  free(p);
  p = valloc(1010);
  free(p);
  p = pvalloc(1011);
  free(p);
  void* mapped = mmap(NULL, 1012 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mapped = mremap(mapped, 1012 * 4096, 1013 * 4096, MREMAP_MAYMOVE);
  munmap(mapped, 1013 * 4096);
  void* mapped64 = mmap64(NULL, 1014 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(mapped64, 1014 * 4096);

  for (int round = 0; round < 2; ++round) {
    void* library = dlopen(argv[1], RTLD_NOW);
    if (library == NULL) return 3;
    void* (*allocate)(size_t) = (void* (*)(size_t))dlsym(library, "probe_allocate");
    free(malloc(1));  // any hooked call patches the new library
    free(allocate(1020 + (size_t)round));
    dlclose(library);
  }

  pid_t child = fork();
  if (child == 0) {
    void* volatile in_child = malloc(777777);
    free(in_child);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  void* volatile after = malloc(1030);
  free(after);
  printf("done child=%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}
