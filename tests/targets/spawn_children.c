// Process-tree target: starts PROGRAM [ARGS...] as a child three ways, one
// after the other, and waits for each: posix_spawn, posix_spawnp (PATH
// search), and vfork then execve with an environment of its own (PATH
// only, as a program that cleans its children's environment does).
//   spawn_children PROGRAM [ARGS...]
// Exits 0 when every child did, 1 otherwise.
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

static int waited(pid_t child) {
  int status = 0;
  if (child <= 0 || waitpid(child, &status, 0) != child) return 0;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: spawn_children PROGRAM [ARGS...]\n");
    return 2;
  }
  char** program = argv + 1;
  int ok = 1;
  pid_t child = 0;
  ok &= posix_spawn(&child, program[0], NULL, NULL, program, environ) == 0 && waited(child);
  ok &= posix_spawnp(&child, program[0], NULL, NULL, program, environ) == 0 && waited(child);
  char* clean[] = {"PATH=/usr/bin:/bin", NULL};
  child = vfork();
  if (child == 0) {
    execve(program[0], program, clean);
    _exit(127);
  }
  ok &= waited(child);
  printf("spawned 3\n");
  return ok ? 0 : 1;
}
