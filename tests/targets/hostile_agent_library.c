// A hostile agent library for `leakspy record` (built as
// tests/targets/hostile/libleakspy_agent.so): LEAKSPY_AGENT points leakspy
// at it, so that leakspy injects it into a live process in place of its own
// agent, as a target's user could replace the agent's code. Its
// leakspy_agent_start (capture/wire.h) starts a thread that speaks the
// protocol with the bad part named by the target's HOSTILE_MODE
// (hostile_protocol.c), and returns Started at once.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostile_protocol.h"

static char socket_address[128];

static void* session(void* unused) {
  (void)unused;
  const char* mode = getenv("HOSTILE_MODE");
  int result = hostile_session(socket_address, mode != NULL ? mode : "");
  if (result != 0) fprintf(stderr, "libhostile_agent: session ended with %d\n", result);
  return NULL;
}

__attribute__((visibility("default"))) int leakspy_agent_start(const char* address) {
  if (address == NULL || strlen(address) >= sizeof(socket_address)) return 3;  // ConnectFailed
  strcpy(socket_address, address);
  pthread_t thread;
  if (pthread_create(&thread, NULL, session, NULL) != 0) return 2;  // InitFailed
  pthread_detach(thread);
  return 0;  // Started
}
