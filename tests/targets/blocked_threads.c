// A process whose threads all sit in blocking system calls: the main thread
// in pthread_join, a worker in read() on stdin. It prints "ready", then, once
// a line arrives on stdin, "done" and exits 0. The attach tests single-step
// and interrupt these threads and check the process still exits 0: a trap
// left pending by a step into a blocking call would kill it (SIGTRAP).
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void* wait_for_line(void* unused) {
  (void)unused;
  char line[64];
  ssize_t got = read(0, line, sizeof line);
  return (void*)(got > 0 ? 1L : 0L);
}

int main(void) {
  pthread_t reader;
  if (pthread_create(&reader, NULL, wait_for_line, NULL) != 0) return 2;
  printf("ready\n");
  fflush(stdout);
  void* result = NULL;
  pthread_join(reader, &result);
  printf(result != NULL ? "done\n" : "no input\n");
  return result != NULL ? 0 : 1;
}
