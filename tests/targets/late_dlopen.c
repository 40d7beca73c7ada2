// Diagnosis target: dlopens ./liblate_library.so (a relative path: run it
// from the library's directory) once recording runs, then leaks 1000 blocks
// of 1000 bytes through the library's late_keep.
//   late_dlopen --wait   waits for a line on stdin first (for record --pid);
//                        prints "ready" before waiting
//   late_dlopen          waits 300 ms first (for run)
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void* kept[1000];

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--wait") == 0) {
    printf("ready\n");
    fflush(stdout);
    char line[16];
    if (fgets(line, sizeof(line), stdin) == NULL) return 1;
  } else {
    usleep(300000);
  }
  void* library = dlopen("./liblate_library.so", RTLD_NOW);
  if (library == NULL) {
    fprintf(stderr, "late_dlopen: %s\n", dlerror());
    return 1;
  }
  void* (*keep)(void) = (void* (*)(void))dlsym(library, "late_keep");
  for (int i = 0; i < 1000; i++) {
    kept[i] = keep();
    usleep(200);
  }
  printf("done\n");
  return 0;
}
