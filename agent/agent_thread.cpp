#include "agent/agent_thread.h"

#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <time.h>

#include "agent/thread_state.h"

namespace leakspy::agent {

namespace {

struct ThreadStart {
  const char* name;
  void (*body)();
};

// One start at a time: the starting thread waits for nothing, so the
// argument lives in a small table indexed by a counter instead of the heap.
constexpr unsigned kStarts = 16;
constinit ThreadStart starts[kStarts] = {};
constinit unsigned next_start = 0;

void* run(void* argument) {
  const ThreadStart& start = *static_cast<const ThreadStart*>(argument);
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  prctl(PR_SET_NAME, start.name, 0, 0, 0);
  ThreadState& self = this_thread();
  ++self.in_agent;
  start.body();
  --self.in_agent;
  return nullptr;
}

}  // namespace

bool start_agent_thread(const char* name, void (*body)()) {
  ReentrancyGuard guard(this_thread());  // pthread_create allocates
  ThreadStart& start = starts[__atomic_fetch_add(&next_start, 1, __ATOMIC_RELAXED) % kStarts];
  start = {name, body};
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  bool ok = pthread_create(&thread, &attributes, run, &start) == 0;
  pthread_attr_destroy(&attributes);
  return ok;
}

void pause_ns(uint64_t ns) {
  timespec pause{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  nanosleep(&pause, nullptr);
}

void wait_for_flag(const std::atomic<bool>& done, uint64_t timeout_ns) {
  for (uint64_t waited = 0; !done.load(std::memory_order_acquire) && waited < timeout_ns; waited += 1'000'000) {
    pause_ns(1'000'000);
  }
}

}  // namespace leakspy::agent
