// A target that speaks leakspy's wire protocol itself (hostile_protocol.c),
// for `leakspy run`: it connects to the recorder named by LEAKSPY_SOCKET,
// sends the bad part chosen by argv[1], and exits 0 once leakspy hangs up.
// Statically linked, so that leakspy's preloaded agent never loads into it.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hostile_protocol.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: hostile_agent kind|heap|node-zero|node-max|length|count|flood\n");
    return 2;
  }
  alarm(60);  // never outlive a test that went wrong
  return hostile_session(getenv("LEAKSPY_SOCKET"), argv[1]);
}
