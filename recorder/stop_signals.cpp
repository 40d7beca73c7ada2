#include "recorder/stop_signals.h"

#include <sys/signalfd.h>
#include <unistd.h>

#include "common/error.h"

namespace leakspy::recorder {

StopSignals::StopSignals() {
  sigset_t stop;
  sigemptyset(&stop);
  // Every signal that would end leakspy by default and can be caught: a
  // closed terminal (SIGHUP) or a reader gone from a pipe (SIGPIPE) must end
  // the recording cleanly, and must never kill leakspy in the middle of a
  // call it made into a target's thread (that thread would then return to
  // address 0 and take its process down).
  for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) sigaddset(&stop, signal);
  if (sigprocmask(SIG_BLOCK, &stop, &original_) != 0) throw_errno(ErrorKind::Internal, "sigprocmask");
  fd_.reset(signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!fd_) throw_errno(ErrorKind::Internal, "signalfd");
}

StopSignals::~StopSignals() { sigprocmask(SIG_SETMASK, &original_, nullptr); }

int StopSignals::take() {
  signalfd_siginfo info{};
  if (::read(fd_.get(), &info, sizeof(info)) != static_cast<ssize_t>(sizeof(info))) return 0;
  return static_cast<int>(info.ssi_signo);
}

}  // namespace leakspy::recorder
