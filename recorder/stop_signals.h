#pragma once
// SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGPIPE end a recording cleanly
// instead of killing leakspy: they are blocked and read from a signalfd by
// the recording loop. Restores the
// previous mask when destroyed; child processes get the previous mask too.
// Not thread-safe: create one, on the main thread, before starting threads.

#include <signal.h>

#include "common/unique_fd.h"

namespace leakspy::recorder {

class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  int fd() const { return fd_.get(); }
  // Reads one pending signal; returns its number, or 0 if none is pending.
  int take();
  // The mask to give a child before exec.
  const sigset_t& original_mask() const { return original_; }

 private:
  sigset_t original_;
  UniqueFd fd_;
};

}  // namespace leakspy::recorder
