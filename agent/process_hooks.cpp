// The wrappers of the calls that change the process as a whole, rather than
// its memory: exit() marks where the program's teardown begins (exit_mark.h).

#include "agent/exit_mark.h"
#include "agent/hook_list.h"

extern "C" void leakspy_hooked_exit(int status) {
  leakspy::agent::mark_exit(leakspy::capture::ExitCause::Exit);
  leakspy::agent::real.exit(status);
  __builtin_unreachable();
}
