// Process-tree target: forks 3 children that do not exec; child 1 leaks
// exactly 100 x 4096 bytes from leak_in_child, the others free what they
// allocate. The parent waits for all three.
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) void* leak_in_child(void) {
  void* page = malloc(4096);  // LEAK
  __asm__ volatile("" : "+r"(page));
  return page;
}

static void child(int index) {
  for (int i = 0; i < 100; i++) {
    void* page = leak_in_child();
    if (index != 1) free(page);
  }
  _exit(0);
}

int main(void) {
  for (int index = 0; index < 3; index++) {
    pid_t pid = fork();
    if (pid == 0) child(index);
  }
  while (wait(NULL) > 0) {
  }
  return 0;
}
