// The wrappers of the calls that change the process as a whole, rather than
// its memory: exit() marks where the program's teardown begins (exit_mark.h);
// _exit() (and _Exit) skips the atexit handlers, so it also waits for the writer to send
// what the process recorded (a multiprocessing worker ends with os._exit);
// __cxa_atexit (what atexit() calls) puts a mark of the agent's after each
// handler the program registers, so that main returning marks the exit
// before the program's handlers run.

#include "agent/exit_mark.h"
#include "agent/hook_list.h"
#include "agent/session.h"

extern "C" void leakspy_hooked_exit(int status) {
  leakspy::agent::mark_exit(leakspy::capture::ExitCause::Exit);
  leakspy::agent::real.exit(status);
  __builtin_unreachable();
}

namespace {

// _exit and C99's _Exit (std::_Exit), symbols of their own: the writer sends
// what the process recorded before the process ends.
[[noreturn]] void exit_at_once(void (*real_exit)(int), int status) {
  leakspy::agent::finish_session_at_exit();
  real_exit(status);
  __builtin_unreachable();
}

// An exit handler of the agent's own, registered after each of the program's:
// handlers run last registered first, so it marks the exit before the
// program's handler runs, when main returns as when exit() is called. Its
// dso handle is none, so a library's dlclose (which runs that library's
// handlers) does not run it.
void mark_exit_before_handlers(void*) { leakspy::agent::mark_exit(leakspy::capture::ExitCause::Exit); }

}  // namespace

extern "C" void leakspy_hooked__exit(int status) { exit_at_once(leakspy::agent::real._exit, status); }
extern "C" void leakspy_hooked__Exit(int status) { exit_at_once(leakspy::agent::real._Exit, status); }

extern "C" int leakspy_hooked___cxa_atexit(void (*function)(void*), void* argument, void* dso_handle) {
  int result = leakspy::agent::real.__cxa_atexit(function, argument, dso_handle);
  if (result == 0 && leakspy::agent::exit_mark_armed.load(std::memory_order_relaxed)) {
    leakspy::agent::real.__cxa_atexit(mark_exit_before_handlers, nullptr, nullptr);
  }
  return result;
}
