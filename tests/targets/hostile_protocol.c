// leakspy's wire protocol as a hostile agent speaks it, for hostile_agent
// (under `leakspy run`) and hostile_agent_library.c (injected by `leakspy record`):
// the agent runs inside processes whose users control them (issue 14). It
// connects to the recorder, says hello, sends good messages (one thread, one
// trace node, ten allocations of 1000..1009 bytes, sealed), then the bad part
// chosen by the mode; then it reads until leakspy hangs up.
//
//   kind       64 events of kind 12 (the review's case)
//   heap       an event on heap 200
//   node-zero  a trace node with id 0
//   node-max   a trace node with id 0xFFFFFFFF
//   length     a header that announces 0xFFFFFF00 bytes
//   count      an events header whose count is larger than its payload
//   flood      epochs begun and events in them, never sealed, until leakspy hangs up
//
// The message layout is restated from capture/wire.h on purpose: this is the
// protocol as an outsider sends it.
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hostile_protocol.h"

enum { kHello = 1, kEvents = 2, kNodes = 3, kThread = 4, kEpoch = 8, kSeal = 9 };
enum { kAlloc = 0, kFree = 1, kEpochMark = 15 };

struct header { uint32_t type, length; };
struct raw_event { uint64_t address, size; uint32_t stack; uint8_t kind, heap; uint16_t reserved; };
_Static_assert(sizeof(struct raw_event) == 24, "RawEvent");

static int connection = -1;

// Buffered, so that the flood is fast; sends fail once leakspy hangs up.
static uint8_t out[1 << 16];
static size_t out_used;

static int flush_out(void) {
  size_t sent = 0;
  while (sent < out_used) {
    ssize_t n = send(connection, out + sent, out_used - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    sent += (size_t)n;
  }
  out_used = 0;
  return 0;
}

static int put(const void* bytes, size_t size) {
  if (out_used + size > sizeof(out) && flush_out() != 0) return -1;
  memcpy(out + out_used, bytes, size);
  out_used += size;
  return 0;
}

static int message(uint32_t type, const void* payload, uint32_t length) {
  struct header h = {type, length};
  return put(&h, sizeof(h)) || put(payload, length);
}

static int events(uint32_t thread, const struct raw_event* list, uint32_t count) {
  struct { uint32_t thread, count; } h = {thread, count};
  struct header m = {kEvents, (uint32_t)(sizeof(h) + count * sizeof(*list))};
  return put(&m, sizeof(m)) || put(&h, sizeof(h)) || put(list, count * sizeof(*list));
}

static int epoch(uint64_t value) {
  uint64_t body[2] = {value, 0};
  return message(kEpoch, body, sizeof(body));
}

static int node(uint32_t id, uint32_t parent) {
  struct { uint32_t count, reserved; uint64_t frame; uint32_t id, parent; } body = {1, 0, 0x401000, id, parent};
  return message(kNodes, &body, sizeof(body));
}

static int connect_to_recorder(const char* text) {
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  if (text == NULL || strlen(text) == 0 || strlen(text) >= sizeof(address.sun_path)) {
    fprintf(stderr, "hostile_agent: no usable socket address\n");
    return 2;
  }
  memcpy(address.sun_path, text, strlen(text));
  socklen_t length = sizeof(address);
  if (text[0] == '@') {  // abstract: no NUL at the end, the length says where it ends
    address.sun_path[0] = '\0';
    length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(text));
  }
  connection = socket(AF_UNIX, SOCK_STREAM, 0);
  if (connection < 0 || connect(connection, (struct sockaddr*)&address, length) != 0) {
    perror("hostile_agent: connect");
    return 2;
  }
  return 0;
}

static int send_good_part(void) {
  struct { uint32_t version, pid; uint64_t monotonic_ns; uint32_t flags, ring_capacity; } hello = {
      1, (uint32_t)getpid(), 0, 0, 32768};
  struct { uint32_t index, tid; char name[16]; } thread = {1, (uint32_t)getpid(), "hostile"};
  struct raw_event good[11] = {{.address = 1, .kind = kEpochMark}};
  for (int i = 0; i < 10; ++i) {
    good[i + 1] = (struct raw_event){.address = 0x100000u * (uint64_t)(i + 1), .size = 1000u + (uint64_t)i,
                                     .stack = 1, .kind = kAlloc};
  }
  uint64_t seal = 1;
  if (message(kHello, &hello, sizeof(hello)) || message(kThread, &thread, sizeof(thread)) || node(1, 0) ||
      epoch(1) || events(1, good, 11) || message(kSeal, &seal, sizeof(seal)) || flush_out()) {
    fprintf(stderr, "hostile_agent: leakspy hung up during the good part\n");
    return 3;
  }
  return 0;
}

static int send_bad_part(const char* mode) {
  if (strcmp(mode, "kind") == 0) {
    struct raw_event bad[65] = {{.address = 2, .kind = kEpochMark}};
    for (int i = 1; i < 65; ++i) bad[i] = (struct raw_event){.address = 0x900000, .size = 1, .stack = 1, .kind = 12};
    return epoch(2) || events(1, bad, 65);
  }
  if (strcmp(mode, "heap") == 0) {
    struct raw_event bad[2] = {{.address = 2, .kind = kEpochMark},
                               {.address = 0x900000, .size = 1, .stack = 1, .kind = kAlloc, .heap = 200}};
    return epoch(2) || events(1, bad, 2);
  }
  if (strcmp(mode, "node-zero") == 0) return node(0, 0);
  if (strcmp(mode, "node-max") == 0) return node(0xFFFFFFFFu, 1);
  if (strcmp(mode, "length") == 0) {
    struct header h = {kEvents, 0xFFFFFF00u};
    return put(&h, sizeof(h));
  }
  if (strcmp(mode, "count") == 0) {
    struct { uint32_t thread, count; } h = {1, 1000000};
    struct raw_event one = {.address = 0x900000, .size = 1, .stack = 1, .kind = kAlloc};
    struct header m = {kEvents, (uint32_t)(sizeof(h) + sizeof(one))};
    return put(&m, sizeof(m)) || put(&h, sizeof(h)) || put(&one, sizeof(one));
  }
  if (strcmp(mode, "flood") == 0) {
    // Each epoch begins and gets one event of 1 byte; none is ever sealed.
    for (uint64_t e = 2; e < 100000000; ++e) {
      struct raw_event batch[2] = {{.address = e, .kind = kEpochMark},
                                   {.address = 0x10000000000ull + e * 16, .size = 1, .stack = 1, .kind = kAlloc}};
      if (epoch(e) || events(1, batch, 2)) return 0;  // leakspy hung up, as it should
    }
    fprintf(stderr, "hostile_agent: leakspy took 10^8 unsealed epochs\n");
    return 0;
  }
  fprintf(stderr, "hostile_agent: unknown mode %s\n", mode);
  return 2;
}

int hostile_session(const char* socket_address, const char* mode) {
  int failed = connect_to_recorder(socket_address);
  if (failed == 0) failed = send_good_part();
  if (failed != 0) return failed;
  if (send_bad_part(mode) == 2) return 2;  // an unknown mode
  flush_out();
  // Until leakspy hangs up: what it sends (Configure, Stop) is read and dropped.
  char sink[4096];
  for (;;) {
    ssize_t n = read(connection, sink, sizeof(sink));
    if (n == 0 || (n < 0 && errno != EINTR)) break;
  }
  close(connection);
  return 0;
}
